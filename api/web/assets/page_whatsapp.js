// WhatsApp: the project's number, and connecting one (the manual form: its Cloud API ids and
// a business token).
import { call } from "./api.js";
import { h, replace } from "./dom.js";
import { errorBox, field, form, loading, notify } from "./ui.js";
import { projectFrame } from "./frame.js";

export function whatsappPage(ctx) {
  const id = ctx.params.project;
  const body = h("div", {}, loading());

  async function load() {
    try {
      const p = await call("getProject", { project_id: id });
      replace(body, details(p), ctx.me.role === "admin" ? connect(p) : null);
    } catch (e) {
      replace(body, errorBox(e, load));
    }
  }

  function details(p) {
    const w = p.whatsapp;
    if (!w)
      return h("section", { class: "card" }, h("h2", {}, "Number"),
        h("p", { class: "state empty" }, "No WhatsApp number is connected: the bot cannot receive or send messages yet."));
    return h("section", { class: "card" }, h("h2", {}, "Number"),
      h("dl", { class: "facts", "data-testid": "whatsapp-details" },
        h("dt", {}, "State"), h("dd", {}, "connected"),
        h("dt", {}, "Display number"), h("dd", {}, w.display_phone_number ?? ""),
        h("dt", {}, "Verified name"), h("dd", {}, w.verified_name ?? ""),
        h("dt", {}, "Phone number id"), h("dd", {}, h("code", {}, w.phone_number_id)),
        h("dt", {}, "WhatsApp Business account"), h("dd", {}, h("code", {}, w.waba_id))));
  }

  function connect(p) {
    const number = h("input", { type: "text", name: "phone_number_id", required: true, inputmode: "numeric", value: p.whatsapp?.phone_number_id ?? "" });
    const waba = h("input", { type: "text", name: "waba_id", required: true, inputmode: "numeric", value: p.whatsapp?.waba_id ?? "" });
    const token = h("input", { type: "password", name: "access_token", required: true, autocomplete: "off" });
    const fields = {
      phone_number_id: field("Phone number id", number),
      waba_id: field("WhatsApp Business account id", waba),
      access_token: field("Access token", token, "A system user's token with whatsapp_business_messaging and whatsapp_business_management. Stored encrypted."),
    };
    return h("section", { class: "card" }, h("h2", {}, p.whatsapp ? "Connect again" : "Connect a number"),
      h("p", { class: "muted" }, "Paige reads the number from Meta, registers it and subscribes its app to the account's webhooks."),
      form({
        fields,
        children: Object.values(fields),
        submit: "Connect",
        action: async () => {
          await call("connectWhatsApp", { project_id: id }, {
            body: { phone_number_id: number.value.trim(), waba_id: waba.value.trim(), access_token: token.value },
          });
          notify("Number connected.");
          load();
        },
      }));
  }

  load();
  return projectFrame(ctx, "whatsapp", body);
}
