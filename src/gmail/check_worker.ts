/**
 * The Worker module of {@link checkGmail}: signs in with the credentials it is sent, reads the
 * profile and the token's scopes, and posts back a {@link GmailCheck}. It runs with only the
 * Gmail permissions (`gmailWorkerPermissions`), so the check also proves those are enough. The
 * client is imported when the request arrives, so that a permission the Google libraries lack
 * while loading comes back as an outcome (`NotCapable`) instead of killing the Worker.
 * @module
 */
import type { GmailCheck, GmailCheckRequest } from "./check.ts";

const scope = self as unknown as {
  onmessage: (event: MessageEvent<GmailCheckRequest>) => void;
  postMessage(message: GmailCheck): void;
};

scope.onmessage = async (event) => {
  try {
    const { createGmailClient } = await import("./client.ts");
    const client = createGmailClient(event.data);
    const profile = await client.profile();
    const token = await client.tokenInfo();
    scope.postMessage({ ok: true, profile, token });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    const status = (error as { status?: unknown }).status;
    scope.postMessage({
      ok: false,
      name: e.name,
      message: e.message,
      ...(typeof status === "number" ? { status } : {}),
    });
  }
};
