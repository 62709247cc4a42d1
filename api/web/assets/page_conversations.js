// Conversations and contacts: the live list, one conversation's history with its controls, the
// contacts and each contact's conversations.
import { call } from "./api.js";
import { h, replace, timeEl } from "./dom.js";
import { badge, empty, errorBox, fill, latest, loading, notify, pager } from "./ui.js";
import { projectFrame } from "./frame.js";
import { followEvents } from "./events.js";
import { bubble } from "./messages.js";

const conversationHref = (p, id) => `#/p/${encodeURIComponent(p)}/conversations/${id}`;
const contactHref = (p, id) => `#/p/${encodeURIComponent(p)}/contacts/${id}`;

/** "live" / "reconnecting…" next to a page's title. */
function liveBadge() {
  const el = h("span", { class: "live", role: "status" }, "connecting…");
  el.set = (status, detail) => {
    el.className = "live " + status;
    el.textContent = status === "live" ? "● live" : "reconnecting…";
    el.title = detail ?? "";
  };
  return el;
}

/** Calls `f` once things settle (a burst of events → one reload). */
function debounce(f, ms) {
  let timer = null;
  const run = () => { clearTimeout(timer); timer = setTimeout(f, ms); };
  run.cancel = () => clearTimeout(timer);
  return run;
}

function conversationsTable(project, items) {
  return h("table", { class: "grid" },
    h("thead", {}, h("tr", {}, ["Contact", "State", "Status", "Last message", "Started"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, items.map((c) => h("tr", { dataset: { conversationId: String(c.id) } },
      h("td", {}, h("a", { href: conversationHref(project, c.id) }, c.contact.name || c.contact.wa_id),
        c.contact.name ? h("span", { class: "muted" }, " +" + c.contact.wa_id) : null),
      h("td", {}, h("code", {}, c.state)),
      h("td", {}, badge(c.status)),
      h("td", {}, timeEl(c.last_message_at)),
      h("td", {}, timeEl(c.started_at))))));
}

/** The conversations, filtered by state, status and contact, kept current by the events. */
export function conversationsPage(ctx) {
  const id = ctx.params.project;
  const filter = { states: new Set(), status: "open", search: "" };
  const cursors = [null];
  const statesBox = h("fieldset", { class: "states" }, h("legend", {}, "States"));
  const list = h("div", {}, loading());
  const live = liveBadge();

  const takeStates = latest();
  async function loadStates() {
    const mine = takeStates();
    try {
      const r = await call("conversationStates", { project_id: id });
      if (!mine()) return;
      const boxes = r.items.map((s) => h("label", { class: "check" },
        h("input", {
          type: "checkbox", value: s.state, checked: filter.states.has(s.state),
          onchange: (ev) => { ev.target.checked ? filter.states.add(s.state) : filter.states.delete(s.state); restart(); },
        }), s.state, h("span", { class: "count" }, String(s.count))));
      replace(statesBox, h("legend", {}, "States (open conversations)"), boxes.length ? boxes : h("span", { class: "muted" }, "no open conversations"));
    } catch (e) {
      if (mine()) replace(statesBox, h("legend", {}, "States"), errorBox(e, loadStates));
    }
  }

  const take = latest();
  async function load() {
    const mine = take();
    try {
      const page = await call("listConversations", { project_id: id }, {
        query: { state: [...filter.states].join(","), status: filter.status, search: filter.search, cursor: cursors.at(-1), limit: 50 },
      });
      if (!mine()) return;  // the filters changed meanwhile
      replace(list,
        page.items.length ? conversationsTable(id, page.items) : empty(filter.search || filter.states.size ? "No conversation matches these filters." : "No conversations yet: they appear here as contacts write."),
        pager(cursors, page.next_cursor, load));
    } catch (e) {
      if (mine()) replace(list, errorBox(e, load));
    }
  }
  const restart = () => { cursors.splice(0, Infinity, null); load(); };

  // New conversations, messages and state changes: the first page and the counts reload.
  const refresh = debounce(() => { if (cursors.length === 1) load(); loadStates(); }, 250);
  const events = followEvents(id, {
    onStatus: (s, d) => live.set(s, d),
    onEvent: (type) => {
      if (type === "events.lost") return refresh();
      if (type.startsWith("conversation.") || type === "message.received" || type === "message.queued") refresh();
    },
  });
  ctx.onDispose(() => { events.stop(); refresh.cancel(); });

  const search = h("input", { type: "search", "aria-label": "Search contacts", placeholder: "name or number", maxlength: 256 });
  const searchLater = debounce(() => { filter.search = search.value.trim(); restart(); }, 300);
  search.addEventListener("input", searchLater);
  const status = h("select", { "aria-label": "Status", onchange: (ev) => { filter.status = ev.target.value; restart(); } },
    h("option", { value: "open" }, "Open"), h("option", { value: "closed" }, "Closed"), h("option", { value: "" }, "Open and closed"));
  loadStates();
  load();
  return projectFrame(ctx, "conversations", h("div", {},
    h("section", { class: "card filters-card" }, h("div", { class: "row" }, h("h2", {}, "Conversations"), live),
      h("div", { class: "filter-bar" }, search, status), statesBox),
    list));
}

/** One conversation: its messages as bubbles (live), state changes, close, and sending. */
export function conversationPage(ctx) {
  const id = ctx.params.project;
  const cid = Number(ctx.params.conversation);
  const head = h("section", { class: "card" }, loading());
  const thread = h("ol", { class: "thread", "aria-label": "History" });
  const older = h("div", { class: "pager" });
  const notice = h("div", { role: "status" });
  const live = liveBadge();
  const byId = new Map();
  let conversation = null;
  let botStates = [];
  let stateText = null;  // the head's state: live changes update it alone, keeping the form as typed

  function add(m, atTop = false) {
    if (byId.has(m.id)) return byId.get(m.id).update({ ...byId.get(m.id).message, ...m });
    const b = bubble(m);
    byId.set(m.id, b);
    // Only the thread scrolls (to its newest message), never the page around it.
    if (atTop) thread.prepend(b);
    else {
      thread.append(b);
      thread.scrollTop = thread.scrollHeight;
    }
  }

  async function loadMessages(cursor) {
    try {
      const page = await call("conversationMessages", { project_id: id, conversation_id: cid }, { query: { limit: 50, cursor } });
      for (const m of page.items) add(m, true);  // newest first: each goes above the last
      replace(older, page.next_cursor ? h("button", { type: "button", onclick: () => loadMessages(page.next_cursor) }, "Older messages") : null);
      if (!cursor) thread.scrollTop = thread.scrollHeight;
    } catch (e) {
      replace(older, errorBox(e, () => loadMessages(cursor)));
    }
  }

  function renderHead() {
    const c = conversation;
    const open = c.status === "open";
    // The bot's states to choose from; another name may be typed (with force).
    const select = h("input", { type: "text", list: "bot-states", "aria-label": "New state", name: "state", value: c.state, required: true, spellcheck: "false" });
    const choices = h("datalist", { id: "bot-states" }, botStates.map((s) => h("option", { value: s })));
    const force = h("input", { type: "checkbox", name: "force" });
    const stateStatus = h("span", { class: "field-error", role: "alert" });
    replace(head,
      h("div", { class: "row" },
        h("h2", {}, h("a", { href: contactHref(id, c.contact.id) }, c.contact.name || c.contact.wa_id)),
        h("span", { class: "muted" }, "+" + c.contact.wa_id), badge(c.status), live),
      h("dl", { class: "facts" },
        h("dt", {}, "State"), stateText = h("dd", { "data-testid": "conversation-state" }, h("code", {}, c.state)),
        h("dt", {}, "Started"), h("dd", {}, timeEl(c.started_at)),
        h("dt", {}, "24-hour window ends"), h("dd", {}, timeEl(c.service_window_ends_at)),
        c.closed_at ? [h("dt", {}, "Closed"), h("dd", {}, timeEl(c.closed_at))] : null),
      open ? h("form", {
        class: "inline",
        onsubmit: async (ev) => {
          ev.preventDefault();
          stateStatus.textContent = "";
          try {
            conversation = await call("changeState", { project_id: id, conversation_id: cid }, { body: { state: select.value, force: force.checked || undefined } });
            notify("State changed.");
            renderHead();
          } catch (e) {
            stateStatus.textContent = e.code === "unknown_state" ? e.message + " (tick “force” to set it anyway)" : e.message;
          }
        },
      }, h("label", { class: "field inline" }, h("span", { class: "label" }, "Change state"), select, choices),
      h("label", { class: "check" }, force, "force (a state the bot does not declare)"),
      h("button", { type: "submit" }, "Set state"),
      h("button", {
        type: "button", class: "danger",
        onclick: async () => {
          try {
            conversation = await call("closeConversation", { project_id: id, conversation_id: cid });
            notify("Conversation closed.");
            renderHead();
          } catch (e) { stateStatus.textContent = e.message; }
        },
      }, "Close conversation"), stateStatus) : null);
  }

  async function loadHead() {
    try {
      const [c, bot] = await Promise.all([
        call("getConversation", { project_id: id, conversation_id: cid }),
        call("getBot", { project_id: id }).catch(() => null),
      ]);
      conversation = c;
      botStates = Object.keys(bot?.definition?.states ?? {});
      renderHead();
    } catch (e) {
      replace(head, errorBox(e, loadHead));
    }
  }

  const text = h("textarea", { name: "text", rows: 2, required: true, "aria-label": "Message", maxlength: 4096, placeholder: "Write a message" });
  const sendStatus = h("div", { role: "alert" });
  const sendButton = h("button", { type: "submit", class: "primary" }, "Send");
  let sending = false;
  const composer = h("form", {
    class: "composer",
    onsubmit: async (ev) => {
      ev.preventDefault();
      if (sending) return;  // Enter twice sends the contact one message, not two
      sending = true;
      sendButton.disabled = true;
      replace(sendStatus);
      try {
        const m = await call("sendToConversation", { project_id: id, conversation_id: cid }, { body: { type: "text", text: { body: text.value } } });
        text.value = "";
        add(m);
      } catch (e) {
        replace(sendStatus, errorBox(e), e.code === "outside_service_window"
          ? h("p", { class: "hint" }, "WhatsApp lets a business write freely only within 24 hours of the contact's last message. Wait until they write again, or send them an approved template message.")
          : null);
      } finally {
        sending = false;
        sendButton.disabled = false;
      }
    },
  }, text, sendButton, sendStatus);
  text.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); composer.requestSubmit(); } });

  const events = followEvents(id, {
    conversationId: cid,
    onStatus: (s, d) => live.set(s, d),
    onEvent: (type, e) => {
      if (type === "message.received" || type === "message.queued") add({ ...e.message, created_at: e.message.created_at ?? new Date().toISOString() });
      else if (type === "message.status") {
        const b = byId.get(e.message_id);
        if (b) b.update({ ...b.message, status: e.status, error: e.error ?? b.message.error });
      } else if (type === "conversation.state_changed" && conversation) {
        conversation.state = e.to;
        if (stateText) replace(stateText, h("code", {}, e.to));
      } else if (type === "conversation.closed") loadHead();
      else if (type === "events.lost")
        replace(notice, h("div", { class: "state error" }, "Some live updates were missed. ",
          h("button", { type: "button", onclick: () => location.reload() }, "Reload")));
    },
  });
  ctx.onDispose(() => events.stop());

  loadHead();
  loadMessages();
  return projectFrame(ctx, "conversations", h("div", { class: "conversation" },
    h("p", {}, h("a", { href: `#/p/${encodeURIComponent(id)}/conversations` }, "← Conversations")),
    head, notice, h("section", { class: "card chat" }, older, thread, composer)));
}

/** The contacts, newest first, with a search. */
export function contactsPage(ctx) {
  const id = ctx.params.project;
  const cursors = [null];
  let search = "";
  const list = h("div", {}, loading());
  const take = latest();
  async function load() {
    const mine = take();
    try {
      const page = await call("listContacts", { project_id: id }, { query: { search, cursor: cursors.at(-1), limit: 50 } });
      if (!mine()) return;
      replace(list,
        page.items.length ? h("table", { class: "grid" },
          h("thead", {}, h("tr", {}, ["Name", "Number", "First seen", "Last message"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, page.items.map((c) => h("tr", {},
            h("td", {}, h("a", { href: contactHref(id, c.id) }, c.name || "(no name)")),
            h("td", {}, "+" + c.wa_id), h("td", {}, timeEl(c.created_at)), h("td", {}, timeEl(c.last_inbound_at))))))
          : empty(search ? "No contact matches." : "No contacts yet."),
        pager(cursors, page.next_cursor, load));
    } catch (e) {
      if (mine()) replace(list, errorBox(e, load));
    }
  }
  const input = h("input", { type: "search", "aria-label": "Search contacts", placeholder: "name or number", maxlength: 256 });
  const later = debounce(() => { search = input.value.trim(); cursors.splice(0, Infinity, null); load(); }, 300);
  input.addEventListener("input", later);
  ctx.onDispose(later.cancel);
  load();
  return projectFrame(ctx, "contacts", h("div", {},
    h("section", { class: "card" }, h("h2", {}, "Contacts"), h("div", { class: "filter-bar" }, input)), list));
}

/** One contact and all its conversations. */
export function contactPage(ctx) {
  const id = ctx.params.project;
  const contactId = ctx.params.contact;
  const details = h("section", { class: "card" });
  const conversations = h("section", { class: "card" });
  const showContact = (c) => [
    h("h2", {}, c.name || "(no name)"),
    h("dl", { class: "facts" }, h("dt", {}, "Number"), h("dd", {}, "+" + c.wa_id),
      h("dt", {}, "First seen"), h("dd", {}, timeEl(c.created_at)),
      h("dt", {}, "Last message"), h("dd", {}, timeEl(c.last_inbound_at)),
      h("dt", {}, "Marketing"), h("dd", {}, c.opted_out_at ? ["Opted out ", timeEl(c.opted_out_at)] : "Receives broadcasts")),
    h("div", { class: "buttons" }, h("button", {
      type: "button",
      onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          const changed = await call("updateContact", { project_id: id, contact_id: contactId }, { body: { opted_out: !c.opted_out_at } });
          replace(details, ...showContact(changed));
          notify(changed.opted_out_at ? "Opted out of marketing: broadcasts skip this contact." : "Opted in again.");
        } catch (e) {
          ev.target.disabled = false;
          replace(details, ...showContact(c), errorBox(e));
        }
      },
    }, c.opted_out_at ? "Opt in to marketing again" : "Opt out of marketing"))];
  fill(details, () => call("getContact", { project_id: id, contact_id: contactId }), showContact);
  const cursors = [null];
  const loadConversations = () => fill(conversations,
    () => call("contactConversations", { project_id: id, contact_id: contactId }, { query: { limit: 50, cursor: cursors.at(-1) } }),
    (r) => [h("h2", {}, "Conversations"),
      r.items.length ? conversationsTable(id, r.items) : empty("No conversations."),
      pager(cursors, r.next_cursor, loadConversations)]);
  loadConversations();
  return projectFrame(ctx, "contacts", h("div", {},
    h("p", {}, h("a", { href: `#/p/${encodeURIComponent(id)}/contacts` }, "← Contacts")), details, conversations));
}
