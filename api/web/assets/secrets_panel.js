// Secrets: the project's values for its bot (names and times only: values are write-only), a
// form to set one, deleting, and a new bot secret (docs/bot-contract.md) shown once.
import { call } from "./api.js";
import { h, replace, timeEl } from "./dom.js";
import { confirmByTyping, empty, field, fill, form, notify } from "./ui.js";

const botSecretName = "PAIGE_BOT_SECRET";

/** The bot secret Paige just made, shown this once with a warning; rendered as text. */
export function shownOnce(secret) {
  return h("div", { class: "notice warning shown-once", role: "alert" },
    h("strong", {}, "The bot secret that signs your code bot's events: "),
    h("code", { class: "mono", "aria-label": "Bot secret" }, secret),
    h("p", {}, "Copy it now: Paige does not show it again. Set it as PAIGE_BOT_SECRET where your bot runs."));
}

export function secretsPanel(projectId, shown) {
  const list = h("div");
  const load = () => fill(list, () => call("listSecrets", { project_id: projectId }), (r) => r.items.length
    ? h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["Name", "Updated", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, r.items.map((s) => h("tr", {},
        h("td", {}, h("code", {}, s.name)), h("td", {}, timeEl(s.updated_at)),
        h("td", {}, s.name === botSecretName
          ? h("button", { type: "button", onclick: () => rotate() }, "Make a new one")
          : h("button", { type: "button", class: "danger", onclick: () => remove(s.name) }, "Delete"))))))
    : empty("No secrets."));

  const remove = (name) => confirmByTyping({
    title: "Delete secret", name, confirm: "Delete",
    text: "The bot no longer gets this value.",
    action: async () => {
      await call("deleteSecret", { project_id: projectId, name });
      notify(`Deleted ${name}.`);
      load();
    },
  });

  const rotate = () => confirmByTyping({
    title: "New bot secret", name: botSecretName, confirm: "Make a new one",
    text: "Events are signed with the new secret at once: your bot must get it.",
    action: async () => {
      const r = await call("rotateBotSecret", { project_id: projectId });
      replace(shown, shownOnce(r.secret));
      load();
    },
  });

  const name = h("input", { type: "text", name: "name", autocomplete: "off", spellcheck: "false", placeholder: "API_TOKEN" });
  const value = h("input", { type: "password", name: "value", autocomplete: "new-password" });
  const fields = { name: field("Name", name, "A-Z, 0-9 and _; not PAIGE_*"), value: field("Value", value, "Write-only: never shown again") };
  const put = form({
    fields,
    submit: "Set secret",
    children: [fields.name, fields.value],
    action: async () => {
      await call("putSecret", { project_id: projectId, name: name.value }, { body: { value: value.value } });
      notify(`Set ${name.value}.`);
      value.value = "";
      load();
    },
  });
  load();
  const section = h("section", { class: "card" }, h("h2", {}, "Secrets"),
    h("p", { class: "muted" }, "Values your bot gets (a hosted bot as environment variables). Only names are ever shown."),
    list, put);
  section.reload = load;  // the page made the bot secret (a code bot's first version)
  return section;
}
