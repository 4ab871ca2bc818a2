import { ActionInputError, type ActionType, type PreparedAction } from "./types.ts";

/**
 * `confirm_task`: the owner's answer to the task loop — a confirmation that local work on an item
 * is done, or an answered question (files `CONFIRM_<id>.md`, `QUESTION_<id>.md`). Nothing leaves
 * the machine: once approved it is filed in Done/, and the task loop acts on that.
 */
export const confirmTaskAction: ActionType<PreparedAction> = {
  name: "confirm_task",
  prefixes: ["CONFIRM_", "QUESTION_"],

  idempotent: () => true,

  prepare(item) {
    const task = item.frontMatter.task;
    if (typeof task !== "string" || task === "") {
      throw new ActionInputError("a confirmation needs 'task: ID' naming the item it answers");
    }
    return { hosts: [], readable: [], summary: { task }, request: { task } };
  },

  perform: () => Promise.resolve({ ok: true, detail: "confirmed by the owner" }),
};
