// The administrator's console: the accounts that may sign in, and a form to add one. The
// roles offered are the server's list (GET /api/v1/reference).
import { api, el, rolesOf, start } from "./common.js";

const status = document.getElementById("status");
const announce = (text) => {
  status.textContent = text;
  status.hidden = !text;
};

try {
  await start();
  const reference = await api("GET", "/api/v1/reference");
  // Roles as the server names them ("Contact handler"), by code.
  const names = Object.fromEntries(reference.roles.map((role) => [role.code, role.name]));
  const named = (user) => rolesOf(user).map((code) => names[code] || code).join(", ");
  document.getElementById("role-boxes").replaceChildren(
    ...reference.roles.map((role) =>
      el("label", { class: "box" }, el("input", { type: "checkbox", name: "role", value: role.code }), ` ${role.name}`),
    ),
  );
  const load = async () => {
    const users = await api("GET", "/api/v1/users");
    document.getElementById("users").replaceChildren(
      ...users.map((u) => el("tr", {}, el("td", {}, u.username), el("td", {}, named(u)))),
    );
  };
  await load();
  const form = document.getElementById("add-user");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector(".form-error");
    error.hidden = true;
    const roles = [...form.querySelectorAll("input[name=role]:checked")].map((b) => b.value);
    try {
      const added = await api("POST", "/api/v1/users", {
        username: form.elements.username.value,
        roles,
        password: form.elements.password.value,
      });
      form.reset();
      announce(`Account ${added.username} added (${named(added)}).`);
      await load();
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    }
  });
} catch (e) {
  announce(`The accounts page could not start: ${e.message}`);
}
