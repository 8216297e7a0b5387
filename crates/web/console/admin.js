// The administrator's console: the accounts that may sign in, and a form to add one.
"use strict";

(async () => {
  const { api, el, say } = CR;
  CR.initTheme();
  const status = document.getElementById("status");
  const announce = (text) => {
    status.textContent = text;
    status.hidden = !text;
  };
  const ROLES = ["contact_handler", "dispatcher", "crime_recorder", "crime_registrar", "supervisor", "auditor", "admin"];
  const rolesOf = (user) => user.roles || [user.role];
  try {
    const me = await api("GET", "/api/v1/session");
    CR.setCsrf(me.csrf_token);
    CR.watchIdle(me);
    document.getElementById("whoami").textContent = `${me.username} · ${rolesOf(me).map(say).join(", ")}`;
    document.getElementById("sign-out").addEventListener("click", () => CR.signOut("signed_out"));
    document.getElementById("role-boxes").replaceChildren(
      ...ROLES.map((role) => el("label", { class: "box" }, el("input", { type: "checkbox", name: "role", value: role }), ` ${say(role)}`)),
    );
    const load = async () => {
      const users = await api("GET", "/api/v1/users");
      document.getElementById("users").replaceChildren(
        ...users.map((u) => el("tr", {}, el("td", {}, u.username), el("td", {}, rolesOf(u).map(say).join(", ")))),
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
        announce(`Account ${added.username} added (${rolesOf(added).map(say).join(", ")}).`);
        await load();
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
      }
    });
  } catch (e) {
    announce(`The accounts page could not start: ${e.message}`);
  }
})();
