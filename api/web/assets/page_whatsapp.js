// WhatsApp: the project's number and what Meta says of it (quality, limits, restrictions,
// alerts), connecting one (the manual form: its Cloud API ids and a business token), its
// business profile and its display name's review. Follows the project's live events, so a
// change Meta reports shows without a reload.
import { call } from "./api.js";
import { h, replace, timeEl } from "./dom.js";
import { followEvents } from "./events.js";
import { openSignup } from "./signup.js";
import { badge, errorBox, field, fill, form, loading, notify } from "./ui.js";
import { projectFrame } from "./frame.js";

/** Meta's business categories. */
const verticals = ["ALCOHOL", "APPAREL", "AUTO", "BEAUTY", "EDU", "ENTERTAIN", "EVENT_PLAN", "FINANCE", "GOVT",
  "GROCERY", "HEALTH", "HOTEL", "NONPROFIT", "ONLINE_GAMBLING", "OTC_DRUGS", "OTHER", "PHYSICAL_GAMBLING",
  "PROF_SERVICES", "RESTAURANT", "RETAIL", "TRAVEL"];

export function whatsappPage(ctx) {
  const id = ctx.params.project;
  const body = h("div", {}, loading());

  let refreshEvents = null;  // set once the events card is shown
  const facts = h("div", {});
  const review = h("div", { "data-testid": "name-review" });  // kept current by loadNumber
  const rest = h("div", {});
  replace(body, facts, rest);

  /** The number's card alone: what a live event changes. */
  async function loadNumber() {
    try {
      const p = await call("getProject", { project_id: id });
      replace(facts, details(p));
      replace(review, reviewOf(p.whatsapp?.health?.display_name));
      return p;
    } catch (e) {
      replace(facts, errorBox(e, load));
      return null;
    }
  }

  async function load() {
    const p = await loadNumber();
    if (!p) return replace(rest);
    const number = p.whatsapp?.phone_number_id;
    replace(rest, number ? displayNameCard(p.whatsapp) : null, number ? eventsCard() : null,
      p.whatsapp?.phone_number_id ? profileCard() : null,
      ctx.me.role === "admin" && ctx.me.signup ? signupCard(p) : null,
      ctx.me.role === "admin" ? connect(p) : null);
  }

  const events = followEvents(id, {
    onEvent: (type) => {
      if (type === "whatsapp.health" || type === "whatsapp.token_invalid" || type === "events.lost") loadNumber();
      if (type === "whatsapp.event" || type === "events.lost") refreshEvents?.();
    },
  });
  ctx.onDispose(() => events.stop());

  function details(p) {
    const w = p.whatsapp;
    const health = w?.health ?? {};
    const signup = w?.signup ? signupState(w.signup) : null;
    if (!w?.phone_number_id)
      return h("section", { class: "card" }, h("h2", {}, "Number"),
        h("p", { class: "state empty" }, "No WhatsApp number is connected: the bot cannot receive or send messages yet."),
        signup);
    return h("section", { class: "card" }, h("h2", {}, "Number"), signup,
      w.status === "token_invalid"
        ? h("div", { class: "state error", role: "alert" },
          h("strong", {}, "Meta refused this number's access token"), w.status_detail ? ": " + w.status_detail : "",
          h("p", {}, "Messages to contacts wait (none is lost). Connect the number again below with a new token, and they go out in order."))
        : null,
      w.status === "restricted"
        ? h("div", { class: "state error", role: "alert" },
          h("strong", {}, "Meta is holding this number's messages"), w.status_detail ? ": " + w.status_detail : "",
          h("p", {}, "Replies to contacts wait (none is lost) and go out in order once Meta lifts it."))
        : null,
      h("dl", { class: "facts", "data-testid": "whatsapp-details" },
        h("dt", {}, "State"), h("dd", {}, badge(w.status ?? "connected")),
        h("dt", {}, "Display number"), h("dd", {}, w.display_phone_number ?? ""),
        h("dt", {}, "Verified name"), h("dd", {}, w.verified_name ?? ""),
        h("dt", {}, "Quality"), h("dd", { "data-testid": "quality" }, health.quality_rating ?? "unknown"),
        h("dt", {}, "Messaging limit"), h("dd", {}, health.messaging_limit ?? "unknown"),
        health.ban ? [h("dt", {}, "Ban"), h("dd", {}, health.ban.state)] : null,
        health.violation ? [h("dt", {}, "Violation"), h("dd", {}, health.violation.type)] : null,
        (health.restrictions ?? []).length
          ? [h("dt", {}, "Restrictions"), h("dd", {}, health.restrictions.map((r) =>
            h("div", {}, r.type, r.until ? [" until ", timeEl(r.until)] : null)))]
          : null,
        h("dt", {}, "Phone number id"), h("dd", {}, h("code", {}, w.phone_number_id)),
        h("dt", {}, "WhatsApp Business account"), h("dd", {}, h("code", {}, w.waba_id))));
  }

  /** Where an embedded signup is: running at a step, or failed there with Meta's reason. */
  function signupState(s) {
    if (s.status === "running")
      return h("p", { class: "state loading", "data-testid": "signup-state" }, `Signing up with Meta: ${s.step}…`);
    return h("div", { class: "state error", role: "alert", "data-testid": "signup-state" },
      h("strong", {}, `Meta's signup failed at "${s.step}"`), s.error?.message ? ": " + s.error.message : "");
  }

  /** The display name: the one Meta shows, a change's review, and a form to ask for one. */
  function reviewOf(r) {
    if (!r) return h("p", { class: "muted" }, "No change was asked for.");
    return h("p", {}, "Review of ", h("q", {}, r.requested ?? r.name ?? ""), ": ", badge(r.status),
      r.rejection_reason ? " (" + r.rejection_reason + ")" : null);
  }

  function displayNameCard(w) {
    const name = h("input", { type: "text", name: "name", required: true, minlength: 3, maxlength: 512, value: w.verified_name ?? "" });
    const fields = { name: field("New display name", name, "Meta reviews it; the decision shows here when it comes.") };
    return h("section", { class: "card" }, h("h2", {}, "Display name"), review,
      form({
        fields,
        children: Object.values(fields),
        submit: "Ask Meta for this name",
        action: async () => {
          await call("requestDisplayName", { project_id: id }, { body: { name: name.value } });
          notify("Sent to Meta for review.");
          loadNumber();
        },
      }));
  }

  /** What Meta reported of the account lately: alerts, quality, restrictions, name reviews. */
  function eventsCard() {
    const card = h("section", { class: "card" });
    refreshEvents = () => fill(card, () => call("accountEvents", { project_id: id }, { query: { limit: 20 } }), (page) => [
      h("h2", {}, "From Meta"),
      page.items.length
        ? h("ul", { class: "events", "data-testid": "account-events" }, page.items.map((e) =>
          h("li", {}, timeEl(e.received_at), " ", h("strong", {}, e.field), " ", summary(e))))
        : h("p", { class: "state empty" }, "Nothing reported yet."),
    ]);
    refreshEvents();
    return card;
  }

  /** One line of a change: its event or alert, as text. */
  function summary(e) {
    const v = e.value ?? {};
    const parts = [v.event, v.decision, v.alert_type, v.alert_severity, v.alert_description, v.current_limit,
      v.ban_info?.waba_ban_state, ...(v.restriction_info ?? []).map((r) => r.restriction_type)];
    return parts.filter((x) => typeof x === "string" && x !== "").join(" · ");
  }

  /** The business profile as Meta has it, and a form that sends what was changed. */
  function profileCard() {
    const card = h("section", { class: "card" });
    fill(card, () => call("getProfile", { project_id: id }), (profile) => {
      const text = (name, value, max, multi) => h(multi ? "textarea" : "input",
        { type: multi ? undefined : "text", inputmode: name === "email" ? "email" : undefined, name, maxlength: max, rows: multi ? 3 : undefined, value });
      const inputs = {
        about: text("about", profile.about, 139),
        address: text("address", profile.address, 256),
        description: text("description", profile.description, 512, true),
        email: text("email", profile.email, 128),
        website1: h("input", { type: "text", inputmode: "url", name: "website1", "aria-label": "Website 1", value: profile.websites[0] ?? "", placeholder: "https://" }),
        website2: h("input", { type: "text", inputmode: "url", name: "website2", "aria-label": "Website 2", value: profile.websites[1] ?? "", placeholder: "https://" }),
        vertical: h("select", { name: "vertical" }, h("option", { value: "" }, "—"),
          verticals.map((v) => h("option", { value: v }, v.replace(/_/g, " ").toLowerCase()))),
      };
      inputs.vertical.value = profile.vertical;
      const fields = {
        about: field("About", inputs.about, "1 to 139 characters: shown under the business's name."),
        address: field("Address", inputs.address),
        description: field("Description", inputs.description),
        email: field("Email", inputs.email),
        websites: field("Websites", h("div", { class: "row" }, inputs.website1, inputs.website2), "Up to two, with http:// or https://."),
        vertical: field("Category", inputs.vertical),
      };
      return [h("h2", {}, "Business profile"),
        h("p", { class: "muted" }, "What WhatsApp users see about this number. Saved at Meta."),
        photoForm(profile),
        form({
          fields,
          submit: "Save profile",
          children: Object.values(fields),
          action: async () => {
            const now = {
              about: inputs.about.value, address: inputs.address.value, description: inputs.description.value,
              email: inputs.email.value, vertical: inputs.vertical.value,
              websites: [inputs.website1.value, inputs.website2.value].filter((w) => w !== ""),
            };
            const change = {};
            for (const [k, v] of Object.entries(now))
              if (JSON.stringify(v) !== JSON.stringify(profile[k])) change[k] = v;
            if (!Object.keys(change).length) return notify("Nothing changed.");
            Object.assign(profile, await call("updateProfile", { project_id: id }, { body: change }));
            notify("Profile saved at Meta.");
          },
        })];
    });
    return card;
  }

  /** "Connect with Facebook": Meta's embedded signup, finished by Paige. */
  function signupCard(p) {
    const status = h("div", { role: "status" });
    let open = null;
    ctx.onDispose(() => open?.stop());
    const button = h("button", {
      type: "button", class: "primary",
      onclick: async () => {
        button.disabled = true;
        replace(status, loading("Waiting for Meta's signup window"));
        try {
          open = openSignup(ctx.me.signup);
          const got = await open.result;
          replace(status, loading("Connecting the number Meta shared"));
          await call("signUpWhatsApp", { project_id: id }, { body: got });
          replace(status);
          notify("Number connected through Meta's signup.");
          load();
        } catch (e) {
          if (!ctx.active()) return;
          replace(status, errorBox(e));
          loadNumber();
        } finally {
          button.disabled = false;
        }
      },
    }, "Connect with Facebook");
    return h("section", { class: "card" }, h("h2", {}, p.whatsapp?.phone_number_id ? "Sign up another number" : "Sign up with Meta"),
      h("p", { class: "muted" }, "Meta's dialog shares a WhatsApp Business account and number with Paige; Paige then registers the number and subscribes to its webhooks."),
      button, status);
  }

  /** The profile photo: Meta's address of the current one, and a file to replace it. */
  function photoForm(profile) {
    const input = h("input", { type: "file", name: "photo", accept: "image/jpeg,image/png" });
    const fields = { photo: field("Profile photo", input, "JPEG or PNG, square is best, at least 192 pixels a side.") };
    return [
      h("p", { "data-testid": "photo" }, profile.profile_picture_url
        ? ["Photo at Meta: ", h("code", {}, profile.profile_picture_url)]
        : "No photo yet."),
      form({
        fields,
        children: Object.values(fields),
        submit: "Upload photo",
        action: async () => {
          const file = input.files?.[0];
          if (!file) return notify("Choose a JPEG or PNG first.");
          const next = await call("setProfilePhoto", { project_id: id }, { file });
          profile.profile_picture_url = next.profile_picture_url;
          notify("Photo set at Meta.");
          load();
        },
      }),
    ];
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
