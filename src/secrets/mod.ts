/**
 * Secrets: tokens, passwords and webhook URLs read from `<vault>/.aiemp/secrets/` (folder 0700,
 * files 0600, owned by the user aiemp runs as) or from `AIEMP_SECRET_*` environment variables,
 * their atomic, private writing (`aiemp auth`, renewed tokens), and the redaction that keeps them,
 * and anything shaped like a token, out of logs, the audit log and results.
 * @module
 */
export { MIN_SECRET_LENGTH, redactSecrets, redactValue, rememberSecret } from "./_redact.ts";
export {
  createSecretStore,
  SECRET_NAME,
  SecretError,
  type SecretStore,
  type SecretStoreOptions,
  secretVariableOf,
} from "./_store.ts";
export { writeSecret } from "./_write.ts";
