// Safeguarding referrals and tasks on the incident panel (issue 17). console.js owns the
// panel and hands this module the incident it shows; this module reads the incident's
// referrals (with those the force's rules require before it may close) and its tasks, and
// sends each decision with its own Idempotency-Key (tasking.js: the same key on a retry of
// exactly the same request). Our own code, no libraries.
import { api, dateTime, el, may as permitted } from "./common.js";
import {
  PRIORITIES,
  TASK_KINDS,
  assigneeText,
  dueText,
  isLate,
  isoFrom,
  kindText,
  priorityBadge,
  requestDone,
  requestKey,
  taskOpen,
  taskStatusText,
} from "./tasking.js";

const $ = (id) => document.getElementById(id);

// `ctx`: { me(), reference(), current() (the incident shown, or null), announce(text),
// showError(form, field, message), clearErrors(form) } from console.js.
export function incidentWork(ctx) {
  const referralForm = $("referral-form");
  const taskForm = $("task-form");
  const shown = { incident: null, referrals: null, tasks: null, teams: null };
  const mayRefer = () => permitted(ctx.me(), "refer");
  const mayDecideNotMade = () => permitted(ctx.me(), "decide_referral_not_made");
  const maySetTasks = () => permitted(ctx.me(), "set_tasks");
  const superviseTasks = () => permitted(ctx.me(), "supervise_tasks");

  // The API's field ("shared[1]", "sharing.why", "to.team") to the control that shows it.
  function problem(form, error) {
    const field = error.field || "";
    const candidates = [field, field.replace(/\[\d+\]$/, ""), field.split(/[.[]/)[0]];
    const found = candidates.find((f) => f && form.querySelector(`[data-field="${CSS.escape(f)}"]`));
    ctx.showError(form, found || null, error.message);
  }

  const agencyName = (code) => {
    const reference = ctx.reference();
    const found = reference && reference.agencies.find((a) => a.code === code);
    return found ? found.name : code;
  };

  // ---- Referrals ---------------------------------------------------------------------

  // The referral types and lawful bases the server lists, when it does (`referral_types`,
  // `sharing_bases` in /api/v1/reference); without them the fields take the code as typed
  // and the server's refusal names the codes it knows.
  function fillReferralLists() {
    const reference = ctx.reference() || {};
    const required = (shown.referrals && shown.referrals.required) || [];
    const listed = Array.isArray(reference.referral_types) ? reference.referral_types : [];
    const types = new Map(listed.map((t) => [t.code, t.name || t.code]));
    for (const r of required) if (!types.has(r.referral_type)) types.set(r.referral_type, `required here: to ${r.agency_name}`);
    $("referral-type-list").replaceChildren(...[...types].map(([code, name]) => el("option", { value: code }, name)));
    $("referral-type-hint").textContent = types.size
      ? `Types: ${[...types.keys()].join(", ")}.`
      : "Type the referral type's code (the force's referral-types list).";
    const bases = Array.isArray(reference.sharing_bases) ? reference.sharing_bases : [];
    $("sharing-basis-list").replaceChildren(...bases.map((b) => el("option", { value: b.code }, b.name || b.code)));
    $("sharing-basis-hint").textContent = bases.length
      ? bases.map((b) => `${b.code}: ${b.name}${b.legislation ? ` (${b.legislation})` : ""}`).join(" · ")
      : "The code of the force's lawful basis for sharing without consent (sharing-bases list).";
    const agency = $("referral-agency");
    if (!agency.options.length) {
      agency.replaceChildren(
        el("option", { value: "" }, "The referral type's own agency"),
        ...(reference.agencies || []).map((a) => el("option", { value: a.code }, a.name)),
      );
    }
  }

  function sharingKind() {
    const checked = referralForm.querySelector("input[name=sharing_kind]:checked");
    return checked ? checked.value : "consent";
  }
  function showSharingKind() {
    const consent = sharingKind() === "consent";
    $("consent-fields").hidden = !consent;
    $("basis-fields").hidden = consent;
  }
  for (const radio of referralForm.querySelectorAll("input[name=sharing_kind]")) radio.addEventListener("change", showSharingKind);

  // What the form says about sharing: null when nothing is filled in.
  function sharingFrom() {
    const f = referralForm.elements;
    if (sharingKind() === "consent") {
      const given_by = f.given_by.value.trim();
      const how = f.how.value.trim();
      return given_by || how ? { kind: "consent", given_by, how } : null;
    }
    const basis = f.basis.value.trim().toUpperCase();
    const why = f.why.value.trim();
    return basis || why ? { kind: "without_consent", basis, why } : null;
  }
  const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);

  // The form for a referral already drafted: its type, agency and reason are recorded, so only
  // the sharing and what is shared can still change; the button sends it.
  function draftedMode(drafted) {
    const f = referralForm.elements;
    for (const name of ["referral_type", "agency", "reason"]) f[name].disabled = drafted;
    referralForm.querySelector("button[type=submit]").firstChild.textContent = drafted ? "Send it " : "Draft and send ";
    $("referral-draft-only").hidden = drafted;
  }

  // A new referral: a new id, nothing drafted yet.
  function freshReferral() {
    referralForm.reset();
    ctx.clearErrors(referralForm);
    referralForm.dataset.referral = crypto.randomUUID();
    delete referralForm.dataset.drafted;
    delete referralForm.dataset.rules;
    delete referralForm.dataset.rulesFor;
    draftedMode(false);
    $("referral-form-title").textContent = "Draft and send a referral";
    $("referral-draft-state").hidden = true;
    showSharingKind();
  }

  // Begin a referral the rules require: its type (and the rules it answers) filled in.
  function startDraft(required) {
    freshReferral();
    referralForm.elements.referral_type.value = required.referral_type;
    const rules = required.because.map((b) => (/^([A-Z0-9_]+) \(/.exec(b) || [])[1]).filter(Boolean);
    referralForm.dataset.rules = JSON.stringify(rules);
    referralForm.dataset.rulesFor = required.referral_type;
    $("referral-form-title").textContent = `Draft and send the ${required.referral_type} referral to ${required.agency_name}`;
    $("referrals-section").open = true;
    referralForm.scrollIntoView({ block: "nearest" });
    $("referral-reason").focus();
  }

  // A referral drafted but not sent: finish it in the form (sharing, what is shared), send.
  function finishDraft(r) {
    freshReferral();
    referralForm.dataset.referral = r.id.id;
    referralForm.dataset.drafted = "yes";
    const f = referralForm.elements;
    f.referral_type.value = r.referral_type;
    f.agency.value = r.agency;
    f.reason.value = r.reason;
    draftedMode(true);
    if (r.sharing && r.sharing.kind === "without_consent") {
      $("sharing-without").checked = true;
      f.basis.value = r.sharing.basis;
      f.why.value = r.sharing.why;
    } else if (r.sharing) {
      $("sharing-consent").checked = true;
      f.given_by.value = r.sharing.given_by;
      f.how.value = r.sharing.how;
    }
    showSharingKind();
    f.shared.value = r.shared.join("\n");
    $("referral-form-title").textContent = `Send the drafted ${r.referral_type} referral to ${agencyName(r.agency)}`;
    $("referral-draft-state").textContent = `Drafted ${dateTime(r.drafted_at)} by ${r.drafted_by}; not sent yet. Say on what basis it is shared and what is shared, then send it.`;
    $("referral-draft-state").hidden = false;
    $("referrals-section").open = true;
    const empty = [...referralForm.querySelectorAll("input:not([disabled]), textarea:not([disabled])")].find((i) => !i.closest("[hidden]") && i.type !== "radio" && !i.value.trim());
    (empty || referralForm.querySelector("button[type=submit]")).focus();
  }

  referralForm.elements.referral_type.addEventListener("input", () => {
    // Rules answer one type: a different type answers none of them.
    if (referralForm.dataset.rulesFor && referralForm.elements.referral_type.value.trim().toUpperCase() !== referralForm.dataset.rulesFor) {
      delete referralForm.dataset.rules;
      delete referralForm.dataset.rulesFor;
    }
  });

  async function submitReferral(sendNow) {
    const form = referralForm;
    ctx.clearErrors(form);
    const incident = ctx.current();
    if (!incident) return;
    const f = form.elements;
    if (!form.dataset.referral) form.dataset.referral = crypto.randomUUID();
    const path = `/api/v1/incidents/${incident.id}/referrals/${form.dataset.referral}`;
    const sharing = sharingFrom();
    const shared = lines(f.shared.value);
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    let type = f.referral_type.value.trim().toUpperCase();
    try {
      if (form.dataset.drafted !== "yes") {
        if (!type) {
          ctx.showError(form, "referral_type", "referral_type: choose the type of referral (the required ones are listed above)");
          return;
        }
        const body = {
          action: "draft",
          referral_type: type,
          reason: f.reason.value,
          sharing,
          shared,
          rules: form.dataset.rules ? JSON.parse(form.dataset.rules) : [],
        };
        if (f.agency.value) body.agency = f.agency.value;
        await api("POST", path, body, requestKey(path, body));
        requestDone(path, body);
        form.dataset.drafted = "yes";
        draftedMode(true);
      }
      let done = `${type} referral drafted for ${incident.reference}; not sent yet.`;
      if (sendNow) {
        const body = { action: "send" };
        if (sharing) body.sharing = sharing;
        if (shared.length) body.shared = shared;
        const sent = await api("POST", path, body, requestKey(path, body));
        requestDone(path, body);
        type = sent.referral_type;
        done = `${sent.referral_type} referral sent to ${agencyName(sent.agency)} (${sent.status.status === "sent" ? "disclosure recorded" : sent.status.status}).`;
      }
      freshReferral();
      ctx.announce(done);
      await loadReferrals(incident);
      // On to the next referral still required, else back to the form.
      const next = document.querySelector("#referrals-required button.draft-required");
      (next || $("referral-type")).focus();
    } catch (e) {
      if (form.dataset.drafted === "yes") {
        $("referral-draft-state").textContent = `The ${type} referral is drafted but NOT SENT: ${e.message}`;
        $("referral-draft-state").hidden = false;
        loadReferrals(incident);
      }
      problem(form, e);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }
  referralForm.addEventListener("submit", (event) => {
    event.preventDefault();
    submitReferral(true);
  });
  $("referral-draft-only").addEventListener("click", () => submitReferral(false));
  $("referral-new").addEventListener("click", () => {
    freshReferral();
    $("referral-type").focus();
  });

  function statusText(r) {
    const s = r.status;
    switch (s.status) {
      case "drafted":
        return `Drafted ${dateTime(r.drafted_at)} by ${r.drafted_by}: NOT SENT, ${dueText(r.due)}`;
      case "sent":
        return `Sent ${dateTime(s.at)} by ${s.by}; acknowledgement ${dueText(s.acknowledge_by)}`;
      case "acknowledged":
        return `Acknowledged ${dateTime(s.at)} (recorded by ${s.by})${s.their_reference ? `, their reference ${s.their_reference}` : ""}${r.acknowledgement_note ? `: ${r.acknowledgement_note}` : ""}`;
      case "refused":
        return `Refused by the agency (recorded ${dateTime(s.at)} by ${s.by}): ${s.reason}`;
      case "outcome_recorded":
        return `Outcome (recorded ${dateTime(s.at)} by ${s.by}): ${s.outcome}`;
      case "not_made":
        return `Not made, decided ${dateTime(s.at)} by ${s.by}: ${s.reason}`;
      default:
        return s.status;
    }
  }
  const STATUS_WORDS = { drafted: "Not sent", sent: "Sent", acknowledged: "Acknowledged", refused: "Refused", outcome_recorded: "Outcome recorded", not_made: "Not made" };
  const chase = (r) =>
    (r.status.status === "drafted" && isLate(r.due)) || (r.status.status === "sent" && isLate(r.status.acknowledge_by));

  function sharingText(s) {
    if (!s) return "Consent or lawful basis: not recorded yet";
    return s.kind === "consent" ? `Consent given by ${s.given_by} (${s.how})` : `Without consent: ${s.basis}, because ${s.why}`;
  }

  // What the agency said, recorded on a referral that was sent.
  const UPDATES = {
    record_acknowledgement: ["The agency acknowledged it", [["their_reference", "Their reference"], ["note", "Note (optional)"]]],
    record_refusal: ["The agency refused it", [["reason", "The agency's reason"]]],
    record_outcome: ["The agency's outcome", [["outcome", "Outcome"]]],
    record_not_made: ["Not to be made (supervisor's decision)", [["reason", "Why it is not made"]]],
  };

  function updateForm(r) {
    const st = r.status.status;
    const choices = [];
    if (st === "sent") choices.push("record_acknowledgement");
    if (st === "sent" || st === "acknowledged") choices.push("record_outcome", "record_refusal");
    if (st === "drafted" && mayDecideNotMade()) choices.push("record_not_made");
    if (!choices.length) return null;
    const uid = `referral-${r.id.id}`;
    const fields = el("div", { class: "update-fields" });
    const select = el(
      "select",
      { id: `${uid}-what`, "data-field": "action" },
      ...choices.map((c) => el("option", { value: c }, UPDATES[c][0])),
    );
    const showFields = () => {
      fields.replaceChildren(
        ...UPDATES[select.value][1].map(([name, label]) =>
          el("div", { class: "field grow" }, el("label", { for: `${uid}-${name}` }, label), el("input", { id: `${uid}-${name}`, name, "data-field": name, autocomplete: "off" })),
        ),
      );
    };
    select.addEventListener("change", showFields);
    showFields();
    const form = el(
      "form",
      { class: "referral-update", novalidate: true, "aria-label": `Record what became of the ${r.referral_type} referral` },
      el("div", { class: "row" }, el("div", { class: "field" }, el("label", { for: `${uid}-what` }, st === "drafted" ? "Record" : "Record what the agency said"), select), fields),
      el("p", { class: "form-error", role: "alert", hidden: true }),
      el("button", { type: "submit" }, "Record ", el("kbd", {}, "Ctrl+Enter")),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      ctx.clearErrors(form);
      const incident = ctx.current();
      if (!incident) return;
      const action = select.value;
      const body = { action };
      // The agency's reference and a note may be left out; a reason or an outcome may not.
      for (const input of fields.querySelectorAll("input")) {
        const optional = ["their_reference", "note"].includes(input.name);
        body[input.name] = optional ? input.value.trim() || null : input.value;
      }
      const path = `/api/v1/incidents/${incident.id}/referrals/${r.id.id}`;
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const changed = await api("POST", path, body, requestKey(path, body));
        requestDone(path, body);
        ctx.announce(`${changed.referral_type} referral: ${STATUS_WORDS[changed.status.status].toLowerCase()}, recorded.`);
        await loadReferrals(incident);
        const again = document.querySelector(`#referral-list [data-referral="${r.id.id}"]`);
        if (again) again.focus();
      } catch (e) {
        problem(form, e);
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  function referralItem(r) {
    const st = r.status.status;
    const complete = r.sharing && r.shared.length > 0;
    const drafted = st === "drafted" && mayRefer();
    return el(
      "li",
      { class: `referral referral-${st}`, "data-referral": r.id.id, "data-type": r.referral_type, tabindex: "-1" },
      el("strong", {}, `${r.referral_type} referral to ${agencyName(r.agency)}`),
      el("span", { class: `badge referral-status-${st}` }, STATUS_WORDS[st] || st),
      chase(r) ? el("span", { class: "badge overdue" }, st === "drafted" ? "Send overdue" : "Chase: no acknowledgement") : null,
      el("span", { class: "text" }, statusText(r)),
      el("span", { class: "text meta" }, `Why: ${r.reason}`),
      el("span", { class: "text meta" }, `${sharingText(r.sharing)} · Shared: ${r.shared.length ? r.shared.join("; ") : "nothing listed yet"} · Via ${r.reached_via}`),
      drafted
        ? el(
            "span",
            { class: "text" },
            complete
              ? el("button", { type: "button", class: "send-draft", onclick: () => sendDraft(r) }, `Send the ${r.referral_type} referral now`)
              : null,
            " ",
            el("button", { type: "button", class: "finish-draft", onclick: () => finishDraft(r) }, complete ? "Change before sending" : "Complete and send"),
          )
        : null,
      mayRefer() ? updateForm(r) : null,
    );
  }

  async function sendDraft(r) {
    const incident = ctx.current();
    if (!incident) return;
    const path = `/api/v1/incidents/${incident.id}/referrals/${r.id.id}`;
    const body = { action: "send" };
    try {
      const sent = await api("POST", path, body, requestKey(path, body));
      requestDone(path, body);
      ctx.announce(`${sent.referral_type} referral sent to ${agencyName(sent.agency)} (disclosure recorded).`);
      await loadReferrals(incident);
    } catch (e) {
      ctx.announce(`The ${r.referral_type} referral was not sent: ${e.message}`);
      finishDraft(r);
      problem(referralForm, e);
    }
  }

  function renderReferrals(found) {
    const required = found.required || [];
    const outstanding = required.filter((r) => !r.settled);
    const drafts = new Map(found.referrals.filter((r) => r.status.status === "drafted").map((r) => [r.referral_type, r]));
    $("referrals-required").replaceChildren(
      required.length
        ? el(
            "p",
            { class: "hint" },
            "Required by the force's referral rules for what is recorded. The incident cannot close until each is sent, or a supervisor records why it is not made.",
          )
        : el("p", { class: "muted" }, "No referral is required by the force's rules for what is recorded so far."),
      required.length
        ? el(
            "ul",
            { class: "contacts required-list", "aria-label": "Referrals required" },
            ...required.map((r) => {
              const draft = drafts.get(r.referral_type);
              return el(
                "li",
                { class: r.settled ? "required settled" : "required outstanding", "data-required": r.referral_type },
                el("span", { class: r.settled ? "badge done" : "badge overdue" }, r.settled ? "Done" : draft ? "Drafted, not sent" : "Required, not sent"),
                el("strong", {}, `${r.referral_type} referral to ${r.agency_name}`),
                el("span", { class: "text meta" }, `Because ${r.because.join("; ")}`),
                !r.settled && mayRefer()
                  ? el(
                      "button",
                      {
                        type: "button",
                        class: "draft-required",
                        onclick: () => (draft ? finishDraft(draft) : startDraft(r)),
                      },
                      draft ? `Send the drafted ${r.referral_type} referral` : `Draft the ${r.referral_type} referral`,
                    )
                  : null,
              );
            }),
          )
        : null,
    );
    $("referral-list").replaceChildren(
      ...(found.referrals.length ? found.referrals.map(referralItem) : [el("li", { class: "empty" }, "No referral made on this incident yet.")]),
    );
    const sent = found.referrals.filter((r) => r.status.status !== "drafted").length;
    const count = $("referrals-count");
    count.textContent = outstanding.length ? `${outstanding.length} required, not sent` : found.referrals.length ? `${sent} of ${found.referrals.length} sent` : "";
    count.className = outstanding.length ? "badge overdue" : "badge";
    count.hidden = !count.textContent;
    // Above the actions, in words: what still stops the close.
    const due = $("incident-referrals-due");
    due.hidden = !outstanding.length;
    due.replaceChildren(
      el("strong", {}, "Safeguarding: "),
      `${outstanding.map((r) => `${r.referral_type} (to ${r.agency_name})`).join(", ")} ${outstanding.length === 1 ? "referral is" : "referrals are"} required and not sent; the incident cannot close until ${outstanding.length === 1 ? "it is" : "they are"}. `,
      el("button", { type: "button", class: "link", onclick: openReferrals }, "Open the referrals"),
      " ",
      el("kbd", {}, "Alt+P"),
    );
    fillReferralLists();
  }

  async function loadReferrals(incident) {
    try {
      const found = await api("GET", `/api/v1/incidents/${incident.id}/referrals`);
      if (!ctx.current() || ctx.current().id !== incident.id) return;
      shown.referrals = found;
      renderReferrals(found);
    } catch (e) {
      $("referral-list").replaceChildren(el("li", { class: "form-error" }, `The referrals cannot be shown: ${e.message}`));
    }
  }

  function openReferrals() {
    const section = $("referrals-section");
    if (!ctx.current() || $("incident").hidden || section.hidden) {
      ctx.announce(ctx.current() ? "Referrals are not available to your role." : "Open an incident first.");
      return;
    }
    section.open = true;
    const target =
      document.querySelector("#referrals-required button.draft-required") ||
      (mayRefer() && !referralForm.hidden ? $("referral-type") : null) ||
      section.querySelector("summary");
    section.scrollIntoView({ block: "start" });
    target.focus();
  }

  // ---- Tasks -------------------------------------------------------------------------

  $("task-kind").replaceChildren(...TASK_KINDS.map(([value, text]) => el("option", { value }, text)));
  $("task-priority").replaceChildren(...PRIORITIES.map(([value, text]) => el("option", { value, selected: value === "normal" }, text)));

  async function loadTeams() {
    if (shown.teams) return shown.teams;
    try {
      shown.teams = await api("GET", "/api/v1/teams");
    } catch (e) {
      $("task-team").replaceChildren(el("option", { value: "" }, `The team directory cannot be read: ${e.message}`));
      return null;
    }
    const group = (kind, label) => {
      const teams = shown.teams.filter((t) => t.kind === kind);
      return teams.length ? el("optgroup", { label }, ...teams.map((t) => el("option", { value: t.code, title: t.description }, `${t.name} (${t.code})`))) : null;
    };
    const others = shown.teams.filter((t) => !["team", "department"].includes(t.kind));
    $("task-team").replaceChildren(
      el("option", { value: "" }, "Choose a team or department"),
      group("team", "Teams"),
      group("department", "Departments"),
      ...others.map((t) => el("option", { value: t.code }, `${t.name} (${t.code})`)),
    );
    return shown.teams;
  }

  function showMembers() {
    const team = shown.teams && shown.teams.find((t) => t.code === $("task-team").value);
    const members = team ? team.members : [];
    $("task-officer-list").replaceChildren(...members.map((m) => el("option", { value: m })));
    $("task-team-hint").textContent = team
      ? `${team.description}. ${members.length ? `Members: ${members.join(", ")}.` : "No members listed yet: the task waits in the team's queue."}`
      : "";
  }
  $("task-team").addEventListener("change", showMembers);

  function freshTask() {
    taskForm.reset();
    ctx.clearErrors(taskForm);
    taskForm.dataset.task = crypto.randomUUID();
    showMembers();
  }

  taskForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = taskForm;
    ctx.clearErrors(form);
    const incident = ctx.current();
    if (!incident) return;
    const f = form.elements;
    if (!f.team.value) {
      ctx.showError(form, "to.team", "to.team: choose the team or department the task is for");
      return;
    }
    if (!form.dataset.task) form.dataset.task = crypto.randomUUID();
    const path = `/api/v1/incidents/${incident.id}/tasks/${form.dataset.task}`;
    const body = {
      action: "set",
      kind: f.kind.value,
      to: { team: f.team.value, officer: f.officer.value.trim() || null },
      priority: f.priority.value,
      due: isoFrom(f.due.value),
      details: f.details.value,
    };
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const task = await api("POST", path, body, requestKey(path, body));
      requestDone(path, body);
      freshTask();
      ctx.announce(`${kindText(task.kind)} task set for ${assigneeText(task.to, shown.teams)}, ${dueText(task.due)}.`);
      await loadTasks(incident);
      $("task-kind").focus();
    } catch (e) {
      problem(form, e);
    } finally {
      button.disabled = false;
    }
  });

  // ---- A promised call-back, in one step ---------------------------------------------
  // "I'll ring you back within the hour": a high-priority call_back task for the control
  // room's own team, due within the time chosen (an hour unless said) or by the time given.
  // Offered while the incident has no call-back promised and still open; the live list marks
  // the incident CALL-BACK OVERDUE once that time passes (console.js).
  const CALL_BACK_TEAM = "CONTROL_ROOM";
  const callBackForm = $("call-back-form");
  let callBackTry = null; // the body of an attempt not yet answered: a retry sends the same

  const promisedCallBack = (tasks) => (tasks || []).find((t) => t.kind === "call_back" && taskOpen(t)) || null;

  // "Call back Leanne Fox on 07700 900321, as promised": the newest caller with a number.
  function callBackDetails(incident) {
    const caller = [...((incident && incident.contacts) || [])].reverse().find((c) => c.caller && c.caller.phone);
    if (!caller) return "Call the caller back, as promised";
    return `Call back ${caller.caller.name ? caller.caller.name : "the caller"} on ${caller.caller.phone}, as promised`;
  }

  function freshCallBack(incident) {
    callBackForm.reset();
    ctx.clearErrors(callBackForm);
    callBackForm.dataset.task = crypto.randomUUID();
    callBackTry = null;
    $("call-back-details").value = callBackDetails(incident);
  }

  // `tasks` as read (null while they are being read): the choice, or the call-back promised.
  function showCallBack(tasks) {
    const promised = promisedCallBack(tasks);
    callBackForm.hidden = !maySetTasks() || !tasks || Boolean(promised);
    const note = $("call-back-promised");
    note.hidden = !promised;
    note.textContent = promised ? `A call-back is promised, for ${assigneeText(promised.to, shown.teams)}: ${dueText(promised.due)}.` : "";
  }

  callBackForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = callBackForm;
    ctx.clearErrors(form);
    const incident = ctx.current();
    if (!incident) return;
    const f = form.elements;
    const inputs = JSON.stringify([incident.id, f.within.value, f.due.value, f.details.value]);
    if (!callBackTry || callBackTry.inputs !== inputs) {
      const due = f.due.value ? isoFrom(f.due.value) : new Date(Date.now() + Number(f.within.value || 60) * 60_000).toISOString();
      callBackTry = {
        inputs,
        body: { action: "set", kind: "call_back", to: { team: CALL_BACK_TEAM, officer: null }, priority: "high", due, details: f.details.value },
      };
    }
    if (!form.dataset.task) form.dataset.task = crypto.randomUUID();
    const path = `/api/v1/incidents/${incident.id}/tasks/${form.dataset.task}`;
    const body = callBackTry.body;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const task = await api("POST", path, body, requestKey(path, body));
      requestDone(path, body);
      freshCallBack(incident);
      ctx.announce(`Call-back promised: ${dueText(task.due)}, a task for ${assigneeText(task.to, shown.teams)}.`);
      await loadTasks(incident);
      $("tasks-section").querySelector("summary").focus();
    } catch (e) {
      if (e.status) callBackTry = null; // answered: a new attempt is a new request
      problem(form, e);
    } finally {
      button.disabled = false;
    }
  });

  // Alt+B: straight to the choice, the cursor on "Call back within"; Ctrl+Enter promises it.
  function promiseCallBack() {
    const section = $("tasks-section");
    if (!ctx.current() || $("incident").hidden || section.hidden || !maySetTasks()) {
      ctx.announce(ctx.current() ? "Promising a call-back is not available to your role." : "Open an incident first.");
      return;
    }
    section.open = true;
    const note = $("call-back-promised");
    if (callBackForm.hidden) {
      ctx.announce(note.hidden ? "The incident's tasks are still being read: try again in a moment." : note.textContent);
      (note.hidden ? section : note).scrollIntoView({ block: "nearest" });
      return;
    }
    callBackForm.scrollIntoView({ block: "nearest" });
    $("call-back-within").focus();
  }

  function cancelForm(t) {
    const me = ctx.me();
    if (!taskOpen(t) || !maySetTasks() || !(t.set_by === me.username || superviseTasks())) return null;
    const id = `task-${t.id.id}-cancel`;
    const form = el(
      "form",
      { class: "task-cancel", novalidate: true },
      el("div", { class: "row" }, el("div", { class: "field grow" }, el("label", { for: id }, "Cancel this task, because"), el("input", { id, name: "reason", "data-field": "reason", autocomplete: "off" }))),
      el("p", { class: "form-error", role: "alert", hidden: true }),
      el("button", { type: "submit" }, "Cancel the task"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      ctx.clearErrors(form);
      const incident = ctx.current();
      if (!incident) return;
      const path = `/api/v1/incidents/${incident.id}/tasks/${t.id.id}`;
      const body = { action: "cancel", reason: form.elements.reason.value };
      try {
        await api("POST", path, body, requestKey(path, body));
        requestDone(path, body);
        ctx.announce(`${kindText(t.kind)} task cancelled.`);
        await loadTasks(incident);
      } catch (e) {
        problem(form, e);
      }
    });
    return el("details", { class: "task-cancel-section" }, el("summary", {}, "Cancel this task"), form);
  }

  function taskItem(t) {
    const late = taskOpen(t) && isLate(t.due);
    return el(
      "li",
      { class: `task task-${t.status.status}${late ? " overdue" : ""}`, "data-task": t.id.id },
      el("strong", {}, `${kindText(t.kind)} for ${assigneeText(t.to, shown.teams)}`),
      priorityBadge(t.priority),
      late ? el("span", { class: "badge overdue" }, "Overdue") : null,
      el("span", { class: "badge" }, taskOpen(t) ? (t.status.status === "set" ? "Waiting" : "Acknowledged") : t.status.status === "completed" ? "Completed" : "Cancelled"),
      el("span", { class: "text" }, t.details),
      el("span", { class: "text meta" }, `${taskOpen(t) ? dueText(t.due) : `was due ${dateTime(t.due)}`} · set by ${t.set_by} ${dateTime(t.set_at)} · ${taskStatusText(t.status)}`),
      ...t.reassignments.map((m) => el("span", { class: "text meta" }, `Reassigned ${dateTime(m.at)} by ${m.by} from ${assigneeText(m.from, shown.teams)}: ${m.reason}`)),
      cancelForm(t),
    );
  }

  function renderTasks(tasks) {
    $("task-list").replaceChildren(...(tasks.length ? tasks.map(taskItem) : [el("li", { class: "empty" }, "No task set on this incident.")]));
    const open = tasks.filter(taskOpen);
    const late = open.filter((t) => isLate(t.due));
    const count = $("tasks-count");
    count.textContent = tasks.length ? `${open.length} open${late.length ? `, ${late.length} overdue` : ""}` : "";
    count.className = late.length ? "badge overdue" : "badge";
    count.hidden = !tasks.length;
  }

  async function loadTasks(incident) {
    try {
      const found = await api("GET", `/api/v1/incidents/${incident.id}/tasks`);
      if (!ctx.current() || ctx.current().id !== incident.id) return;
      shown.tasks = found.tasks;
      renderTasks(found.tasks);
      showCallBack(found.tasks);
    } catch (e) {
      $("task-list").replaceChildren(el("li", { class: "form-error" }, `The tasks cannot be shown: ${e.message}`));
      showCallBack([]);
    }
  }

  function openTasks() {
    const section = $("tasks-section");
    if (!ctx.current() || $("incident").hidden || section.hidden) {
      ctx.announce(ctx.current() ? "Tasks are not available to your role." : "Open an incident first.");
      return;
    }
    section.open = true;
    section.scrollIntoView({ block: "start" });
    (!taskForm.hidden ? $("task-kind") : section.querySelector("summary")).focus();
  }

  // ---- From console.js ---------------------------------------------------------------

  return {
    // The incident panel shows `incident`; `reload` when it was opened or changed by this
    // handler (every read is audited, so not on each live refresh).
    show(incident, reload) {
      const changed = !shown.incident || shown.incident !== incident.id;
      shown.incident = incident.id;
      $("referrals-section").hidden = false;
      $("tasks-section").hidden = false;
      referralForm.hidden = !mayRefer();
      taskForm.hidden = !maySetTasks();
      if (changed) {
        shown.referrals = null;
        shown.tasks = null;
        $("incident-referrals-due").hidden = true;
        $("referrals-required").replaceChildren();
        $("referral-list").replaceChildren();
        $("task-list").replaceChildren();
        showCallBack(null);
        freshCallBack(incident);
        freshReferral();
        if (maySetTasks()) loadTeams().then(() => freshTask());
      }
      if (changed || reload) {
        loadReferrals(incident);
        loadTasks(incident);
      }
    },
    // A task changed somewhere (the live feed's `task` event): redraw this incident's list.
    onTask(data) {
      const incident = ctx.current();
      if (incident && data && data.incident === incident.id) loadTasks(incident);
    },
    // The close was refused: what the referrals rule says is outstanding is read again.
    refreshReferrals() {
      const incident = ctx.current();
      if (incident) loadReferrals(incident);
    },
    openReferrals,
    openTasks,
    promiseCallBack,
  };
}
