// The sign-in page: why the last session ended, and the form.
import { api, initTheme } from "./common.js";

initTheme();
const params = new URLSearchParams(location.search);
const notice = document.getElementById("signin-notice");
if (params.has("expired")) {
  notice.textContent = "Your session ended because the console was left without activity. Sign in again to carry on.";
  notice.hidden = false;
} else if (params.has("signed_out")) {
  notice.textContent = "You have signed out.";
  notice.hidden = false;
}
const form = document.getElementById("signin-form");
const error = document.getElementById("signin-error");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  try {
    await api("POST", "/api/v1/session", {
      username: form.username.value,
      password: form.password.value,
    });
    location.assign("/console");
  } catch (e) {
    error.textContent = e.status === 401 ? "That username or password is wrong. Check caps lock and try again." : e.message;
    error.hidden = false;
    form.password.select();
  }
});
