import denoConfig from "../../deno.json" with { type: "json" };

/** aiemp's version, from deno.json (the one place it is set). */
export const VERSION: string = denoConfig.version;
