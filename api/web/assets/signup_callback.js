// Meta's signup dialog comes back here with its code: hand it to the dashboard window that
// opened the dialog (this origin only), then close.
const q = new URLSearchParams(location.search);
const message = {
  type: "PAIGE_SIGNUP_CODE",
  code: q.get("code") ?? "",
  state: q.get("state") ?? "",
  error: q.get("error_description") ?? q.get("error") ?? "",
};
const status = document.getElementById("status");
if (window.opener) {
  window.opener.postMessage(message, location.origin);
  status.textContent = "Signed up with Meta: Paige finishes connecting the number in the dashboard.";
  window.close();
} else {
  status.textContent = "Open the signup from Paige's dashboard.";
}
