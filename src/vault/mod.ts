/**
 * The vault: its folders, notes with front matter, atomic writes and moves, the orchestrator's
 * lock, and creating a vault from the template.
 * @module
 */
export { VAULT_FOLDERS, type VaultFolder, type VaultLayout, vaultLayout } from "./layout.ts";
export { type Note, NoteError, parseNote, renderNote } from "./note.ts";
export {
  exists,
  isInterruptedWrite,
  listNames,
  moveInto,
  removeInterruptedWrites,
  temporaryPathFor,
  writeFileAtomic,
} from "./files.ts";
export {
  acquireVaultLock,
  type KeepLockOptions,
  type LockOwner,
  runningOwner,
  type VaultLock,
  VaultLockedError,
} from "./lock.ts";
export { initVault, isVault, type VaultInitReport } from "./init.ts";
export {
  isTemporaryName,
  type SettledFileOptions,
  settleExistingFiles,
  watchSettledFiles,
} from "./watch.ts";
export { readSection, replaceSection } from "./sections.ts";
export { type HeldUpWork, heldUpWork, type StorageProblem, storageProblemOf } from "./storage.ts";
export {
  checkVaultFile,
  fileRefusal,
  type OpenOptions,
  openVaultFile,
  type PathOptions,
  type PathRefusal,
  pathSegmentOf,
  readVaultFile,
  resolveInVault,
  VaultPathError,
  vaultPathOf,
} from "./paths.ts";
