// The frame of every project page: its name, its status and its sections.
import { call } from "./api.js";
import { h, replace } from "./dom.js";
import { badge, tabs } from "./ui.js";

const sections = [
  ["overview", "Overview", ""],
  ["whatsapp", "WhatsApp", "/whatsapp"],
  ["templates", "Templates", "/templates"],
  ["flows", "Flows", "/flows"],
  ["broadcasts", "Broadcasts", "/broadcasts"],
  ["conversations", "Conversations", "/conversations"],
  ["contacts", "Contacts", "/contacts"],
  ["database", "Database", "/database"],
  ["sql", "SQL", "/sql"],
  ["bot", "Bot", "/bot"],
];

/** `body` under the project's header and tabs; `current` is the section shown. */
export function projectFrame(ctx, current, body) {
  const id = ctx.params.project;
  const title = h("h1", {}, id);
  const status = h("span");
  const frame = h("div", { class: "project" },
    h("header", { class: "page-head" }, title, status),
    tabs(sections.map(([key, label, suffix]) => [key, label, `#/p/${encodeURIComponent(id)}${suffix}`]), current),
    body);
  /** Shows the project's name and status as they are now (after a rename, a pause...). */
  frame.show = (p) => {
    if (!ctx.active()) return;  // a late answer after leaving: the tab's title is another page's
    replace(title, p.name);
    replace(status, badge(p.status));
    document.title = p.name + " — Paige";
  };
  call("getProject", { project_id: id }).then(frame.show).catch(() => {});
  return frame;
}
