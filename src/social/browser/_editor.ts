/**
 * Reading the post editor as a person sees it, and comparing it with the approved text.
 * Private to src/social/browser.
 * @module
 */
import type { Locator } from "playwright-core";

/** Text as a site shows it, made comparable: no-break spaces as spaces, line ends as `\n`. */
export function shownText(text: string): string {
  return text.replace(/\u00a0/g, " ").replace(/\r\n?/g, "\n");
}

/** What {@linkcode editorText} reads of a node in the page (Deno's types have no DOM). */
interface PageNode {
  readonly nodeType: number;
  readonly nodeName: string;
  readonly textContent: string | null;
  readonly childNodes: ArrayLike<PageNode>;
  readonly value?: string;
}

/**
 * The editor's text as a person sees it, line by line. An editable box's `innerText` counts an
 * empty line (`<p><br></p>`) twice, so its lines are read from its structure instead: each
 * block element is a line (or more), a `<br>` ends a line, and a `<br>` that ends its block only
 * holds the line open. A text box (`<textarea>`) gives its value.
 */
export async function editorText(editor: Locator): Promise<string> {
  return shownText(
    await editor.evaluate((root) => {
      const box = root as unknown as PageNode;
      if (typeof box.value === "string") return box.value;
      const view = globalThis as unknown as {
        getComputedStyle(node: PageNode): { display: string };
      };
      const linesOf = (block: PageNode): string[] => {
        const lines: string[] = [];
        let open = false;
        const write = (text: string) => {
          if (!open) lines.push("");
          open = true;
          lines[lines.length - 1] += text;
        };
        const visit = (node: PageNode) => {
          for (const child of Array.from(node.childNodes)) {
            if (child.nodeType === 3) write(child.textContent ?? "");
            else if (child.nodeType !== 1) continue;
            else if (child.nodeName === "BR") {
              write("");
              open = false;
            } else {
              const display = view.getComputedStyle(child).display;
              if (display === "none") continue;
              if (display.startsWith("inline")) visit(child);
              else {
                lines.push(...linesOf(child));
                open = false;
              }
            }
          }
        };
        visit(block);
        return lines;
      };
      return linesOf(box).join("\n");
    }),
  );
}

/** True when the editor's text is `text` (line breaks at the end aside: an editor may add one). */
export function holdsText(held: string, text: string): boolean {
  return shownText(held).replace(/\n+$/, "") === shownText(text).replace(/\n+$/, "");
}
