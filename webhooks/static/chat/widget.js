/*
 * Heard's chat widget. Embed it on any page with
 *   <script src="https://HOST/chat/widget.js" data-lang="es" defer></script>
 * Optional: data-leave-url="https://..." (where "Leave quickly" goes).
 *
 * No dependencies and no build step: this file is the source. Every word comes from
 * Heard's catalogs (GET /chat/api/strings); everything a person wrote is put on the
 * page with textContent, never as HTML. The session token lives in sessionStorage
 * only while a conversation is open, and is removed when the report is filed, the
 * chat is ended or the resident leaves quickly.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.HeardChat) {
    return;
  }
  var origin = new URL(script.src, window.location.href).origin;
  var API = origin + "/chat/api";
  var STORE = "heard.chat.v1";
  var SCALES = [0.875, 1, 1.125, 1.25, 1.5, 1.75, 2];
  var RETRY_MS = 15000;
  var MAX_RETRIES = 8;
  // What the bot says between turns (it moves on after a pause in the story) is fetched this
  // often while the chat is open, for this long after the last answer.
  var FOLLOW_MS = 10000;
  var FOLLOW_FOR_MS = 10 * 60 * 1000;

  var state = readState();
  var words = null; // { languages: [...], strings: { lang: { key: text } } }
  var ui = {};
  var queue = Promise.resolve();
  var retries = 0;
  var retryTimer = null;
  var followTimer = null;
  var lastTurnAt = 0;
  var saidAfter = 0; // the newest message fetched between turns (or shown after a reload)

  function readState() {
    var saved = null;
    try {
      saved = JSON.parse(window.sessionStorage.getItem(STORE) || "null");
    } catch (e) {
      saved = null;
    }
    return saved && typeof saved === "object" ? saved : { token: null, lang: null, open: false, scale: 1 };
  }

  function saveState() {
    try {
      if (!state.token && !state.open && state.scale === 1) {
        window.sessionStorage.removeItem(STORE);
      } else {
        window.sessionStorage.setItem(STORE, JSON.stringify(state));
      }
    } catch (e) {
      /* storage may be disabled: the chat still works for this page view */
    }
  }

  function forget() {
    state.token = null;
    try {
      window.sessionStorage.removeItem(STORE);
    } catch (e) {
      /* nothing to remove */
    }
  }

  function codes() {
    return words.languages.map(function (l) {
      return l.code;
    });
  }

  // A language tag as one of the picker's codes, or null. Chinese is one language written two
  // ways: a tag names its script, or its region implies it (Taiwan, Hong Kong, Macau: Traditional).
  function match(tag) {
    var code = String(tag || "").toLowerCase().replace(/_/g, "-");
    var subtags = code.split("-");
    var base = subtags[0] === "fil" ? "tl" : subtags[0];
    if (base === "zh") {
      var named = subtags.indexOf("hant") > 0 || subtags.indexOf("hans") > 0;
      var traditional = subtags.indexOf("hant") > 0 || (!named && /-(tw|hk|mo)(-|$)/.test(code));
      base = traditional ? "zh-Hant" : "zh-Hans";
    }
    return codes().indexOf(base) >= 0 ? base : null;
  }

  function pickLanguage() {
    var wanted = [state.lang, script.getAttribute("data-lang"), document.documentElement.lang]
      .concat(Array.prototype.slice.call(navigator.languages || [navigator.language || ""]));
    for (var i = 0; i < wanted.length; i++) {
      var code = match(wanted[i]);
      if (code) {
        return code;
      }
    }
    return "en";
  }

  // The server names the language of the words ("zh"); Chinese stays in the script chosen here.
  function shownLang(lang) {
    var code = match(lang);
    if (!code || code.split("-")[0] === state.lang.split("-")[0]) {
      return state.lang;
    }
    return code;
  }

  function s(key, lang) {
    var table = words.strings[lang || state.lang] || words.strings.en;
    return table[key] || words.strings.en[key] || key;
  }

  function dirOf(lang) {
    var found = words.languages.filter(function (l) {
      return l.code === lang;
    })[0];
    return found ? found.dir : "ltr";
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  // -- talking to Heard ----------------------------------------------------------------------

  function request(method, path, body, isForm) {
    var headers = {};
    if (state.token) {
      headers.Authorization = "Bearer " + state.token;
    }
    if (body && !isForm) {
      headers["Content-Type"] = "application/json";
    }
    return fetch(API + path, {
      method: method,
      headers: headers,
      body: body ? (isForm ? body : JSON.stringify(body)) : undefined,
      credentials: "omit",
      cache: "no-store",
    }).then(function (response) {
      if (response.status === 204) {
        return {};
      }
      return response.json().then(
        function (data) {
          if (!response.ok) {
            var error = new Error(data.error || "error");
            error.status = response.status;
            error.data = data;
            throw error;
          }
          return data;
        },
        function () {
          var error = new Error("not json");
          error.status = response.status;
          throw error;
        }
      );
    });
  }

  function ensureSession() {
    if (state.token) {
      return Promise.resolve();
    }
    return request("POST", "/sessions", { lang: state.lang }).then(function (data) {
      state.token = data.token;
      saveState();
    });
  }

  function withRetries(make, tries) {
    return make().catch(function (error) {
      if (!error.status && tries > 0) {
        return new Promise(function (resolve) {
          window.setTimeout(resolve, 1500);
        }).then(function () {
          return withRetries(make, tries - 1);
        });
      }
      throw error;
    });
  }

  function showError(error) {
    var lang = shownLang(error.data && error.data.lang);
    var text = error.data && error.data.error ? error.data.error : s("error");
    if (error.status === 401 || error.status === 410) {
      forget();
    }
    addMessage("heard", text, lang, { notice: true });
  }

  function busy(on) {
    ui.status.textContent = on ? s("waiting") : "";
    ui.log.setAttribute("aria-busy", on ? "true" : "false");
  }

  function handleTurn(data) {
    (data.messages || []).forEach(function (m) {
      if (m.file) {
        addFile(m.file, shownLang(m.lang));
      } else if (m.from === "you") {
        addMessage("you", m.text, shownLang(m.lang));
      } else {
        addMessage("heard", m.text, shownLang(m.lang));
      }
    });
    if (data.lang && shownLang(data.lang) !== state.lang) {
      setLanguage(shownLang(data.lang), false);
    }
    if (data.filed) {
      filed();
    } else if (data.pending) {
      scheduleRetry();
    } else {
      retries = 0;
    }
    lastTurnAt = Date.now();
    follow();
  }

  // New messages go into the same role=log region, so screen readers announce them too.
  function follow() {
    if (followTimer) {
      return;
    }
    followTimer = window.setTimeout(function () {
      followTimer = null;
      if (!state.token || !state.open || Date.now() - lastTurnAt > FOLLOW_FOR_MS) {
        return;
      }
      request("GET", "/updates?after=" + saidAfter + "&lang=" + encodeURIComponent(state.lang)).then(
        function (data) {
          (data.messages || []).forEach(function (m) {
            if (m.id > saidAfter) {
              saidAfter = m.id;
              addMessage("heard", m.text, shownLang(m.lang));
            }
          });
          follow();
        },
        function (error) {
          if (error.status === 401 || error.status === 410) {
            forget();
            saveState();
          } else {
            follow();
          }
        }
      );
    }, FOLLOW_MS);
  }

  function scheduleRetry() {
    if (retryTimer || retries >= MAX_RETRIES) {
      return;
    }
    retries += 1;
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      queue = queue.then(function () {
        if (!state.token) {
          return null;
        }
        return request("POST", "/retry", { lang: state.lang }).then(handleTurn, function () {
          scheduleRetry();
        });
      });
    }, RETRY_MS);
  }

  function send(text) {
    var id = uuid();
    var lang = state.lang;
    addMessage("you", text, lang);
    queue = queue.then(function () {
      busy(true);
      return ensureSession()
        .then(function () {
          return withRetries(function () {
            return request("POST", "/messages", { text: text, lang: lang, id: id });
          }, 2);
        })
        .then(handleTurn, showError)
        .then(function () {
          busy(false);
        });
    });
  }

  function upload(file) {
    queue = queue.then(function () {
      busy(true);
      return ensureSession()
        .then(function () {
          var form = new FormData();
          form.append("file", file, file.name);
          form.append("lang", state.lang);
          return request("POST", "/uploads", form, true);
        })
        .then(handleTurn, showError)
        .then(function () {
          busy(false);
        });
    });
  }

  function resume() {
    if (!state.token) {
      return;
    }
    queue = queue.then(function () {
      return request("GET", "/transcript?lang=" + encodeURIComponent(state.lang)).then(
        function (data) {
          (data.messages || []).forEach(function (m) {
            saidAfter = Math.max(saidAfter, m.id || 0);
          });
          handleTurn({ messages: data.messages, lang: data.lang, pending: data.pending });
        },
        function (error) {
          if (error.status === 401 || error.status === 410) {
            forget();
            saveState();
          }
        }
      );
    });
  }

  // -- the transcript ---------------------------------------------------------------------------

  function addMessage(speaker, text, lang, options) {
    var item = el("div", { class: "msg from-" + speaker + (options && options.notice ? " notice" : ""), lang: lang, dir: dirOf(lang) });
    item.appendChild(el("span", { class: "who" }, s(speaker === "you" ? "you" : "heard", lang)));
    item.appendChild(document.createTextNode(" "));
    item.appendChild(el("span", { class: "text" }, text));
    ui.log.appendChild(item);
    item.scrollIntoView({ block: "nearest" });
    return item;
  }

  function addFile(file, lang) {
    var text = s("you_sent_file", lang).replace("{name}", file.name || "-");
    addMessage("you", text, lang || state.lang);
  }

  function welcome() {
    while (ui.log.firstChild) {
      ui.log.removeChild(ui.log.firstChild);
    }
    var item = addMessage("heard", s("welcome"), state.lang);
    item.classList.add("welcome");
  }

  function filed() {
    // Nothing is left in storage: not the token, not even that the chat was open.
    forget();
    state.open = false;
    ui.compose.hidden = true;
    ui.done.hidden = false;
    ui.doneText.textContent = s("filed");
    ui.doneText.focus();
  }

  // -- controls ----------------------------------------------------------------------------------

  function setLanguage(lang, fromPicker) {
    var onlyWelcome = ui.log.children.length === 1 && ui.log.firstChild.classList.contains("welcome");
    state.lang = lang;
    saveState();
    ui.picker.value = lang;
    label();
    if (onlyWelcome && fromPicker) {
      welcome();
    }
  }

  function setScale(step) {
    var index = SCALES.indexOf(state.scale);
    index = Math.max(0, Math.min(SCALES.length - 1, (index < 0 ? 1 : index) + step));
    state.scale = SCALES[index];
    saveState();
    ui.box.style.setProperty("--heard-scale", String(state.scale));
    ui.smaller.disabled = index === 0;
    ui.larger.disabled = index === SCALES.length - 1;
  }

  function open(focus) {
    state.open = true;
    saveState();
    ui.panel.hidden = false;
    ui.launcher.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "true");
    if (!ui.log.firstChild) {
      welcome();
      resume();
    } else {
      follow();
    }
    if (focus) {
      (ui.compose.hidden ? ui.newChat : ui.input).focus();
    }
  }

  function close() {
    state.open = false;
    saveState();
    ui.panel.hidden = true;
    ui.launcher.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.focus();
  }

  function endChat() {
    var token = state.token;
    forget();
    saveState();
    if (token) {
      fetch(API + "/end", { method: "POST", headers: { Authorization: "Bearer " + token }, keepalive: true, credentials: "omit" }).catch(function () {
        /* the token is forgotten here either way */
      });
    }
  }

  function leaveQuickly() {
    endChat();
    try {
      window.sessionStorage.removeItem(STORE);
    } catch (e) {
      /* nothing stored */
    }
    ui.host.remove();
    var target = script.getAttribute("data-leave-url") || words.leave_url || "https://www.weather.gov/";
    window.location.replace(target);
  }

  function label() {
    var lang = state.lang;
    ui.box.setAttribute("lang", lang);
    ui.picker.value = lang;
    ui.box.setAttribute("dir", dirOf(lang));
    ui.launcherText.textContent = s("launcher");
    ui.title.textContent = s("title");
    ui.close.setAttribute("aria-label", s("close"));
    ui.leave.textContent = s("leave");
    ui.pickerLabel.textContent = s("language");
    ui.inputLabel.textContent = s("input");
    ui.hint.textContent = s("hint");
    ui.send.textContent = s("send");
    ui.attach.textContent = s("attach");
    ui.smaller.setAttribute("aria-label", s("smaller"));
    ui.larger.setAttribute("aria-label", s("larger"));
    ui.sizeLabel.textContent = s("size");
    ui.end.textContent = s("end");
    ui.confirmText.textContent = s("end_confirm");
    ui.confirmYes.textContent = s("end_yes");
    ui.confirmNo.textContent = s("end_no");
    ui.newChat.textContent = s("new_chat");
    ui.formLink.textContent = s("form_link");
    ui.formLink.href = origin + "/report?lang=" + encodeURIComponent(lang);
    if (!ui.done.hidden) {
      ui.doneText.textContent = s("filed");
    }
  }

  function build() {
    var host = el("div", { id: "heard-chat-widget" });
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var css = el("link", { rel: "stylesheet", href: origin + "/chat/widget.css" });
    var box = el("div", { class: "heard" });
    box.hidden = true;
    css.addEventListener("load", function () {
      box.hidden = false;
    });
    css.addEventListener("error", function () {
      box.hidden = false;
    });
    root.appendChild(css);
    root.appendChild(box);

    var launcher = el("button", { type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "heard-panel" });
    var icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    icon.setAttribute("focusable", "false");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", "M4 4h16v11H8l-4 4z");
    icon.appendChild(path);
    launcher.appendChild(icon);
    var launcherText = el("span", {});
    launcher.appendChild(launcherText);

    var panel = el("section", { id: "heard-panel", class: "panel", "aria-labelledby": "heard-title" });
    panel.hidden = true;
    var head = el("div", { class: "head" });
    var title = el("h2", { id: "heard-title" });
    var leave = el("button", { type: "button", class: "leave" });
    var closeButton = el("button", { type: "button", class: "close icon" }, "×");
    head.appendChild(title);
    head.appendChild(leave);
    head.appendChild(closeButton);

    var tools = el("div", { class: "tools" });
    var pickerLabel = el("label", { for: "heard-language" });
    var picker = el("select", { id: "heard-language" });
    words.languages.forEach(function (l) {
      picker.appendChild(el("option", { value: l.code, lang: l.code, dir: l.dir }, l.name));
    });
    var sizeGroup = el("div", { class: "size", role: "group", "aria-labelledby": "heard-size-label" });
    var sizeLabel = el("span", { id: "heard-size-label", class: "size-label" });
    // NOTE: single symbols as the visible text, so the spoken names ("Larger text") need not contain them.
    var smaller = el("button", { type: "button", class: "icon" }, "−");
    var larger = el("button", { type: "button", class: "icon" }, "+");
    sizeGroup.appendChild(sizeLabel);
    sizeGroup.appendChild(smaller);
    sizeGroup.appendChild(larger);
    var pick = el("div", { class: "pick" });
    pick.appendChild(pickerLabel);
    pick.appendChild(picker);
    tools.appendChild(pick);
    tools.appendChild(sizeGroup);

    var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-labelledby": "heard-title", tabindex: "0" });
    var status = el("p", { class: "status", role: "status" });

    var compose = el("form", { class: "compose" });
    var inputLabel = el("label", { for: "heard-input" });
    var input = el("textarea", { id: "heard-input", rows: "2", maxlength: "4000", "aria-describedby": "heard-hint", autocomplete: "off" });
    var hint = el("p", { id: "heard-hint", class: "hint" });
    var row = el("div", { class: "row" });
    var sendButton = el("button", { type: "submit", class: "primary" });
    var attach = el("button", { type: "button" });
    var file = el("input", { type: "file", accept: "image/*,video/*,audio/*,application/pdf", tabindex: "-1", "aria-hidden": "true" });
    file.hidden = true;
    var end = el("button", { type: "button" });
    row.appendChild(sendButton);
    row.appendChild(attach);
    row.appendChild(end);
    compose.appendChild(inputLabel);
    compose.appendChild(input);
    compose.appendChild(hint);
    compose.appendChild(row);
    compose.appendChild(file);

    var confirm = el("div", { class: "confirm", role: "group", "aria-labelledby": "heard-confirm-text" });
    confirm.hidden = true;
    var confirmText = el("p", { id: "heard-confirm-text" });
    var confirmYes = el("button", { type: "button" });
    var confirmNo = el("button", { type: "button", class: "primary" });
    confirm.appendChild(confirmText);
    confirm.appendChild(confirmYes);
    confirm.appendChild(confirmNo);

    var done = el("div", { class: "done" });
    done.hidden = true;
    var doneText = el("p", { tabindex: "-1", class: "done-text" });
    var newChat = el("button", { type: "button", class: "primary" });
    done.appendChild(doneText);
    done.appendChild(newChat);

    var formLink = el("a", { class: "form-link" });

    [head, tools, log, status, compose, confirm, done, formLink].forEach(function (n) {
      panel.appendChild(n);
    });
    box.appendChild(launcher);
    box.appendChild(panel);

    ui = {
      host: host, box: box, launcher: launcher, launcherText: launcherText, panel: panel, title: title,
      leave: leave, close: closeButton, picker: picker, pickerLabel: pickerLabel, sizeGroup: sizeGroup, sizeLabel: sizeLabel,
      smaller: smaller, larger: larger, log: log, status: status, compose: compose, input: input,
      inputLabel: inputLabel, hint: hint, send: sendButton, attach: attach, file: file, end: end,
      confirm: confirm, confirmText: confirmText, confirmYes: confirmYes, confirmNo: confirmNo,
      done: done, doneText: doneText, newChat: newChat, formLink: formLink,
    };

    launcher.addEventListener("click", function () {
      open(true);
    });
    closeButton.addEventListener("click", close);
    leave.addEventListener("click", leaveQuickly);
    picker.addEventListener("change", function () {
      setLanguage(picker.value, true);
    });
    smaller.addEventListener("click", function () {
      setScale(-1);
    });
    larger.addEventListener("click", function () {
      setScale(1);
    });
    compose.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (text) {
        send(text);
      }
      input.value = "";
      input.focus();
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        if (compose.requestSubmit) {
          compose.requestSubmit();
        } else {
          sendButton.click();
        }
      }
    });
    attach.addEventListener("click", function () {
      file.click();
    });
    file.addEventListener("change", function () {
      Array.prototype.forEach.call(file.files || [], upload);
      file.value = "";
      input.focus();
    });
    end.addEventListener("click", function () {
      compose.hidden = true;
      confirm.hidden = false;
      confirmNo.focus();
    });
    confirmNo.addEventListener("click", function () {
      confirm.hidden = true;
      compose.hidden = false;
      input.focus();
    });
    confirmYes.addEventListener("click", function () {
      endChat();
      confirm.hidden = true;
      compose.hidden = false;
      welcome();
      input.focus();
    });
    newChat.addEventListener("click", function () {
      done.hidden = true;
      compose.hidden = false;
      welcome();
      input.focus();
    });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        close();
      }
    });

    document.body.appendChild(host);
  }

  function start() {
    fetch(API + "/strings", { credentials: "omit" })
      .then(function (r) {
        return r.json();
      })
      .then(function (data) {
        words = data;
        state.lang = pickLanguage();
        build();
        label();
        var scale = SCALES.indexOf(state.scale) >= 0 ? state.scale : 1;
        state.scale = 1;
        setScale(SCALES.indexOf(scale) - 1);
        if (state.open) {
          open(false);
        }
        window.HeardChat = { open: open, close: close };
      })
      .catch(function () {
        /* Heard is unreachable: the page stays as it was; the no-JavaScript form is linked from it */
      });
  }

  window.HeardChat = { loading: true };
  start();
})();
