import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkVaultFile,
  fileRefusal,
  openVaultFile,
  type PathRefusal,
  pathSegmentOf,
  readVaultFile,
  resolveInVault,
  VaultPathError,
  vaultPathOf,
} from "../../src/vault/mod.ts";

/** Asserts that `fn` throws a VaultPathError for `refusal` whose message matches every pattern. */
function refuses(fn: () => unknown, refusal: PathRefusal, ...says: RegExp[]): void {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof VaultPathError, `not a VaultPathError: ${error}`);
    assert.equal(error.refusal, refusal, error.message);
    for (const pattern of says) assert.match(error.message, pattern);
    return true;
  });
}

async function refusesAsync(
  fn: () => Promise<unknown>,
  refusal: PathRefusal,
  ...says: RegExp[]
): Promise<void> {
  await assert.rejects(fn, (error) => {
    assert.ok(error instanceof VaultPathError, `not a VaultPathError: ${error}`);
    assert.equal(error.refusal, refusal, error.message);
    for (const pattern of says) assert.match(error.message, pattern);
    return true;
  });
}

/** A vault and a folder beside it, removed afterwards. */
async function withVault(fn: (vault: string, outside: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aiemp_paths_test_" });
  try {
    const vault = join(dir, "vault");
    const outside = join(dir, "outside");
    await Deno.mkdir(join(vault, "Needs_Action", "attachments"), { recursive: true });
    await Deno.mkdir(outside);
    await Deno.writeTextFile(join(outside, "secret.txt"), "TOP SECRET");
    await fn(vault, outside);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// ---------------------------------------------------------------------------------------------
// References written in notes, checked without the disk

Deno.test("vaultPathOf() gives the absolute path of a reference inside the vault", () => {
  assert.equal(
    vaultPathOf("/v", "Needs_Action/attachments/report.pdf"),
    "/v/Needs_Action/attachments/report.pdf",
  );
  assert.equal(vaultPathOf("/v", "./Inbox/a b ü.txt"), "/v/Inbox/a b ü.txt");
  assert.equal(
    vaultPathOf("/v/", "Done//x..y.md"),
    "/v/Done/x..y.md",
    "'..' inside a name is fine",
  );
  assert.equal(vaultPathOf("/v", "~/notes.md"), "/v/~/notes.md", "'~' is a name, not home");
});

Deno.test("vaultPathOf() refuses an absolute path, naming it and saying to give a vault path", () => {
  refuses(
    () => vaultPathOf("/v", "/etc/passwd", { what: "attachment" }),
    "absolute",
    /attachment "\/etc\/passwd"/,
    /absolute path/,
    /give the path from the vault's top folder, such as Needs_Action\/attachments\/report\.pdf/,
  );
});

Deno.test("vaultPathOf() refuses Windows drives and URLs as absolute", () => {
  for (const reference of ["C:/Users/me/secret.txt", "c:secret.txt", "file:///etc/passwd"]) {
    refuses(() => vaultPathOf("/v", reference), "absolute", /absolute path or URL/);
  }
});

Deno.test("vaultPathOf() refuses any '..' segment, even one that would stay inside", () => {
  for (
    const reference of ["../secret.txt", "Inbox/../../x", "Inbox/../Done/a.md", "a/..", "a/.../b"]
  ) {
    refuses(
      () => vaultPathOf("/v", reference),
      "parent",
      /'\.\.' climbs out of a folder/,
      /without '\.\.'/,
    );
  }
});

Deno.test("vaultPathOf() refuses a backslash, which is a folder separator on Windows", () => {
  refuses(
    () => vaultPathOf("/v", "..\\..\\etc\\passwd"),
    "backslash",
    /backslash/,
    /separate folders with '\/'/,
  );
  refuses(() => vaultPathOf("/v", "Inbox\\a.txt"), "backslash");
});

Deno.test("vaultPathOf() refuses a hidden file or folder, such as aiemp's own secrets", () => {
  for (
    const reference of [".aiemp/secrets/gmail_token.json", "Inbox/.env", ".claude/settings.json"]
  ) {
    refuses(
      () => vaultPathOf("/v", reference, { what: "attachment" }),
      "hidden",
      /hidden file or folder \(\.aiemp\/ holds aiemp's own state and secrets\)/,
      /give a file from the vault's visible folders/,
    );
  }
});

Deno.test("vaultPathOf() refuses a NUL byte and shows it escaped", () => {
  refuses(() => vaultPathOf("/v", "a.txt\0.pdf"), "nul", /"a\.txt\\u0000\.pdf"/, /remove it/);
});

Deno.test("vaultPathOf() refuses an empty reference and the vault folder itself", () => {
  refuses(() => vaultPathOf("/v", ""), "empty", /it is empty; give the path of a file/);
  refuses(() => vaultPathOf("/v", "  "), "empty");
  refuses(() => vaultPathOf("/v", "."), "not_a_name", /names the vault itself/);
  refuses(() => vaultPathOf("/v", "./"), "not_a_name");
});

Deno.test("vaultPathOf() shortens a huge reference in its message", () => {
  assert.throws(() => vaultPathOf("/v", `/${"a".repeat(100_000)}`), (error) => {
    assert.ok(error instanceof VaultPathError);
    assert.ok(error.message.length < 600, `${error.message.length} characters`);
    return true;
  });
});

// ---------------------------------------------------------------------------------------------
// References followed through the disk

Deno.test("resolveInVault() accepts a file, and a file not written yet, inside the vault", async () => {
  await withVault(async (vault) => {
    await Deno.writeTextFile(join(vault, "Needs_Action", "attachments", "a.txt"), "a");
    assert.equal(
      await resolveInVault(vault, "Needs_Action/attachments/a.txt"),
      join(vault, "Needs_Action", "attachments", "a.txt"),
    );
    assert.equal(
      await resolveInVault(vault, "Plans/new/plan.md"),
      join(vault, "Plans", "new", "plan.md"),
    );
  });
});

Deno.test("resolveInVault() refuses a path through a linked folder that leads out of the vault", async () => {
  await withVault(async (vault, outside) => {
    await Deno.symlink(outside, join(vault, "Shared"));
    await refusesAsync(
      () => resolveInVault(vault, "Shared/secret.txt", { what: "attachment" }),
      "outside",
      /attachment "Shared\/secret\.txt"/,
      /outside the vault, through a symbolic link/,
      /copy the file into the vault and refer to the copy/,
    );
    await refusesAsync(() => resolveInVault(vault, "Shared/not-yet.txt"), "outside");
    await refusesAsync(() => resolveInVault(vault, "Shared/deeper/not-yet.txt"), "outside");
  });
});

Deno.test("resolveInVault() refuses a linked file that leads out of the vault", async () => {
  await withVault(async (vault, outside) => {
    await Deno.symlink(join(outside, "secret.txt"), join(vault, "Inbox.txt"));
    await refusesAsync(() => resolveInVault(vault, "Inbox.txt"), "outside");
  });
});

Deno.test("resolveInVault() refuses a link that leads nowhere, which a write would follow", async () => {
  await withVault(async (vault, outside) => {
    await Deno.symlink(join(outside, "later.txt"), join(vault, "later.txt"));
    await refusesAsync(() => resolveInVault(vault, "later.txt"), "outside", /leads nowhere/);
  });
});

Deno.test("resolveInVault() accepts a linked folder that stays inside the vault", async () => {
  await withVault(async (vault) => {
    await Deno.symlink(join(vault, "Needs_Action"), join(vault, "Tasks"));
    assert.equal(
      await resolveInVault(vault, "Tasks/attachments/x.pdf"),
      join(vault, "Tasks", "attachments", "x.pdf"),
    );
  });
});

Deno.test("resolveInVault() works when the vault itself is reached through a link", async () => {
  await withVault(async (vault) => {
    const alias = `${vault}-alias`;
    await Deno.symlink(vault, alias);
    try {
      assert.equal(await resolveInVault(alias, "Inbox/a.txt"), join(alias, "Inbox", "a.txt"));
    } finally {
      await Deno.remove(alias);
    }
  });
});

Deno.test("resolveInVault() accepts a path through a file as if a folder (reading it fails later)", async () => {
  await withVault(async (vault) => {
    await Deno.writeTextFile(join(vault, "a.txt"), "a");
    assert.equal(await resolveInVault(vault, "a.txt/b"), join(vault, "a.txt", "b"));
    await refusesAsync(() => checkVaultFile(join(vault, "a.txt", "b")), "missing");
  });
});

Deno.test("resolveInVault() refuses lexically before it looks at the disk", async () => {
  await refusesAsync(() => resolveInVault("/no/such/vault", "../x"), "parent");
});

// ---------------------------------------------------------------------------------------------
// Files about to be read

Deno.test("checkVaultFile() accepts a plain file and returns its lstat", async () => {
  await withVault(async (vault) => {
    const path = join(vault, "a.md");
    await Deno.writeTextFile(path, "hello");
    const info = await checkVaultFile(path);
    assert.ok(info.isFile);
    assert.equal(info.size, 5);
  });
});

Deno.test("checkVaultFile() refuses a symbolic link, even to a file inside the vault", async () => {
  await withVault(async (vault) => {
    await Deno.writeTextFile(join(vault, "real.md"), "inside");
    await Deno.symlink(join(vault, "real.md"), join(vault, "link.md"));
    await refusesAsync(
      () => checkVaultFile(join(vault, "link.md"), { what: "approved item" }),
      "symlink",
      /approved item ".*link\.md"/,
      /symbolic link/,
      /copy the file itself into the vault instead of linking it/,
    );
  });
});

Deno.test("checkVaultFile() refuses a hard link, saying how many names it has and the fix", async () => {
  await withVault(async (vault, outside) => {
    await Deno.link(join(outside, "secret.txt"), join(vault, "a.md"));
    await refusesAsync(
      () => checkVaultFile(join(vault, "a.md")),
      "hard_link",
      /is a hard link \(2 names\)/,
      /aiemp reads only files that live in the vault alone: copy it in instead/,
    );
  });
});

Deno.test("checkVaultFile() refuses a folder and a missing file", async () => {
  await withVault(async (vault) => {
    await refusesAsync(() => checkVaultFile(join(vault, "Needs_Action")), "folder", /a folder/);
    await refusesAsync(() => checkVaultFile(join(vault, "gone.md")), "missing", /does not exist/);
  });
});

Deno.test({
  name: "checkVaultFile() refuses a named pipe without opening it",
  ignore: Deno.build.os === "windows",
  async fn() {
    await withVault(async (vault) => {
      const fifo = join(vault, "pipe.md");
      assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
      await refusesAsync(() => checkVaultFile(fifo), "special", /pipe, socket or device/);
      await refusesAsync(() => readVaultFile(fifo), "special");
    });
  },
});

Deno.test("fileRefusal() is undefined for a file with one name, and says why for the others", () => {
  const base = { isFile: true, isDirectory: false, isSymlink: false, nlink: 1 };
  assert.equal(fileRefusal(base as Deno.FileInfo), undefined);
  assert.equal(fileRefusal({ ...base, nlink: null } as Deno.FileInfo), undefined);
  assert.equal(fileRefusal({ ...base, nlink: 3 } as Deno.FileInfo)?.refusal, "hard_link");
  assert.match(fileRefusal({ ...base, nlink: 3 } as Deno.FileInfo)!.reason, /3 names/);
  const link = { ...base, isFile: false, isSymlink: true } as Deno.FileInfo;
  assert.equal(fileRefusal(link)?.refusal, "symlink");
});

Deno.test("readVaultFile() reads a plain file and refuses a link", async () => {
  await withVault(async (vault, outside) => {
    await Deno.writeFile(join(vault, "a.bin"), new Uint8Array([0, 255, 1]));
    assert.deepEqual(await readVaultFile(join(vault, "a.bin")), new Uint8Array([0, 255, 1]));
    await Deno.symlink(join(outside, "secret.txt"), join(vault, "b.md"));
    await refusesAsync(() => readVaultFile(join(vault, "b.md")), "symlink");
  });
});

Deno.test("openVaultFile() gives an open file the caller reads and closes", async () => {
  await withVault(async (vault) => {
    await Deno.writeTextFile(join(vault, "a.md"), "hello");
    using file = await openVaultFile(join(vault, "a.md"));
    const buffer = new Uint8Array(5);
    assert.equal(await file.read(buffer), 5);
    assert.equal(new TextDecoder().decode(buffer), "hello");
  });
});

Deno.test("openVaultFile() refuses a file that is not the one checked (swapped meanwhile)", async () => {
  await withVault(async (vault) => {
    await Deno.writeTextFile(join(vault, "a.md"), "a");
    await Deno.writeTextFile(join(vault, "b.md"), "b");
    const checked = await checkVaultFile(join(vault, "a.md"));
    await refusesAsync(
      () => openVaultFile(join(vault, "b.md"), { checked }),
      "changed",
      /it changed while aiemp opened it \(it was replaced\); put the file back/,
    );
    const link = { ...checked, isFile: false, isSymlink: true };
    await refusesAsync(() => openVaultFile(join(vault, "a.md"), { checked: link }), "symlink");
  });
});

// ---------------------------------------------------------------------------------------------
// One name (an id given to `aiemp approve`, a name from front matter)

Deno.test("pathSegmentOf() accepts one visible name as it is", () => {
  for (const name of ["EMAIL_reply.md", "a b ü ✓.md", "x..y", "approval-42"]) {
    assert.equal(pathSegmentOf(name), name);
  }
});

Deno.test("pathSegmentOf() refuses what is not one visible name, saying why and the fix", () => {
  const cases: [string, PathRefusal, RegExp][] = [
    ["", "empty", /it is empty/],
    ["../aiemp.yaml", "not_a_name", /is a path/],
    ["Done/x.md", "not_a_name", /is a path/],
    ["..\\x", "not_a_name", /is a path/],
    ["..", "parent", /'\.' and '\.\.'/],
    [".", "parent", /'\.' and '\.\.'/],
    [".aiemp", "hidden", /hidden/],
    ["a\0b", "nul", /NUL/],
    ["a\nb", "not_a_name", /control character/],
    ["é".repeat(200), "too_long", /over 255 bytes/],
  ];
  for (const [value, refusal, why] of cases) {
    refuses(
      () => pathSegmentOf(value, { what: "approval id" }),
      refusal,
      /^Cannot use the approval id /,
      why,
      /give just the name, as 'aiemp queue' lists it/,
    );
  }
});
