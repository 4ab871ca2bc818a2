/** Worker entry of a WhatsApp reply's run: the browser work is loaded with it, not later. */
import { sendWhatsAppReply } from "../_whatsapp_reply.ts";
import { serveActionRun } from "../run_worker.ts";
import type { WhatsAppReplyRequest } from "../whatsapp.ts";
import { whatsappReplyAction } from "../whatsapp.ts";

serveActionRun([{
  ...whatsappReplyAction,
  perform: (request, signal) => sendWhatsAppReply(request as WhatsAppReplyRequest, signal),
}]);
