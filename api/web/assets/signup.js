// Meta's embedded signup, without Meta's JavaScript SDK (nothing is loaded from outside): the
// dialog opens in a popup; Meta posts the session (the WABA and number shared) to this window
// from its origin, and sends the popup back to /signup/callback with the single-use code,
// which that page posts here. With both, Paige is asked to finish the signup.

/** A random value that ties the popup's answer to this window. */
function randomState() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Meta's session message: {type: "WA_EMBEDDED_SIGNUP", event, data}, sent as JSON text. */
export function sessionOf(data) {
  let m = data;
  if (typeof m === "string") {
    try { m = JSON.parse(m); } catch { return null; }
  }
  return m && typeof m === "object" && m.type === "WA_EMBEDDED_SIGNUP" ? m : null;
}

/**
 * Opens the dialog (`signup` from /v1/me). Resolves with {code, waba_id, phone_number_id,
 * redirect_uri} once both halves arrived; rejects when the user cancels, Meta reports an error,
 * or the popup is closed first. `stop()` forgets it (the page went away).
 */
export function openSignup(signup) {
  const state = randomState();
  const redirect = location.origin + "/signup/callback";
  const url = new URL(signup.dialog_url);
  url.searchParams.set("client_id", signup.app_id);
  if (signup.config_id) url.searchParams.set("config_id", signup.config_id);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("override_default_response_type", "true");
  url.searchParams.set("redirect_uri", redirect);
  url.searchParams.set("state", state);
  url.searchParams.set("extras", JSON.stringify({ setup: {}, featureType: "", sessionInfoVersion: "3" }));
  const dialogOrigin = url.origin;
  let onMessage = null;
  let timer = null;
  const stop = () => {
    window.removeEventListener("message", onMessage);
    clearInterval(timer);
  };
  const result = new Promise((resolve, reject) => {
    const got = { redirect_uri: redirect };
    const popup = window.open(url.toString(), "paige-signup", "popup,width=640,height=720");
    if (!popup) return reject(new Error("the browser blocked the signup window: allow pop-ups for Paige"));
    onMessage = (ev) => {
      if (ev.origin === dialogOrigin) {
        const session = sessionOf(ev.data);
        if (!session) return;
        if (session.event === "CANCEL") {
          stop();
          return reject(new Error("The signup was cancelled" + (session.data?.current_step ? ` at ${session.data.current_step}` : "") + "."));
        }
        if (session.event === "ERROR") {
          stop();
          return reject(new Error("Meta's signup failed: " + (session.data?.error_message ?? "no reason given")));
        }
        if (session.event === "FINISH_ONLY_WABA") {
          stop();
          return reject(new Error("Meta's signup shared an account without a phone number: add a number in it and sign up again."));
        }
        if (session.event === "FINISH") {
          got.waba_id = String(session.data?.waba_id ?? "");
          got.phone_number_id = String(session.data?.phone_number_id ?? "");
        }
      } else if (ev.origin === location.origin && ev.data?.type === "PAIGE_SIGNUP_CODE") {
        if (ev.data.state !== state) return;  // not the answer to this dialog
        if (!ev.data.code) {
          stop();
          return reject(new Error("Meta gave no code: " + (ev.data.error || "the signup did not finish")));
        }
        got.code = String(ev.data.code);
      } else {
        return;
      }
      if (got.code && got.waba_id && got.phone_number_id) {
        stop();
        resolve(got);
      }
    };
    window.addEventListener("message", onMessage);
    // A popup closed before both halves came: give up (its messages came before it closed).
    timer = setInterval(() => {
      if (popup.closed && !(got.code && got.waba_id && got.phone_number_id)) {
        setTimeout(() => {
          if (got.code && got.waba_id && got.phone_number_id) return;
          stop();
          reject(new Error("The signup window was closed before it finished."));
        }, 500);
        clearInterval(timer);
      }
    }, 500);
  });
  return { result, stop };
}
