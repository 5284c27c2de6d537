/*
 * Kindling sandbox web chat.
 *
 * One simulated person's private chat with the real bot. Actions (write, press a button, the
 * sandbox's "send it now" controls) are POSTs to the web chat's API; everything the bot does
 * arrives over a WebSocket as it happens ("hello" with the chat so far, then "message",
 * "delete", "toast" and "commands" frames) and is drawn in place, edits included.
 *
 * Safety: the bot's words arrive as plain text plus Telegram entities, and are drawn with DOM
 * nodes and text nodes only. Nothing from the server is ever assigned to innerHTML.
 */
"use strict";

(() => {
  // Every sentence this page says, in one place (the bot's own words come from the bot).
  const WORDS = {
    connecting: "Connecting…",
    connected: "Online",
    reconnecting: "Connection lost. Trying again…",
    botSaid: "Kindling:",
    youSaid: "You:",
    edited: "edited",
    picture: "A picture from Kindling",
    download: "Download",
    hiddenText: "Hidden text. Press to show it.",
    nudgeSent: {
      prompt: "Your daily prompt went out through the scheduler.",
      recap: "Your weekly recap went out through the scheduler.",
    },
    nudgeTaken: {
      prompt: "Today's prompt was already handled. The scheduler sends it at most once a day.",
      recap: "Today's recap was already handled. The scheduler sends it at most once a day.",
    },
    nudgeHeld: {
      quiet: "Nudges are paused right now, so the scheduler held it back.",
      prompts_off: "Daily prompts are off, so the scheduler held it back. /settings can turn them on.",
    },
    nudgeFailed: "The scheduler tried, but the message didn't go through. The terminal running the sandbox has the details.",
    nudgeNothing: "The scheduler had nothing to send just now.",
    kinds: { sticker: "[sticker]", photo: "[photo]", voice: "[voice message]", location: "[location]" },
    reasons: {
      not_set_up: "Finish /start first, so Kindling knows your time zone.",
      no_such_person: "This person isn't in the sandbox any more. Pick someone from the list.",
      no_such_message: "That message is gone.",
      no_such_button: "That button isn't on the message any more.",
      empty_text: "There's nothing to send yet.",
      text_too_long: "That's longer than Telegram allows (4096 characters).",
      bot_starting: "The bot is still starting. Try again in a moment.",
      bad_name: "A name needs between 1 and 64 characters.",
      network: "The sandbox isn't answering. Is it still running?",
    },
    somethingWrong: "Something went wrong in the sandbox. The terminal running it has the details.",
  };

  const $ = (id) => document.getElementById(id);
  const list = $("messages");
  const chat = list.parentElement;
  const input = $("composer-input");
  const menu = $("command-menu");
  const menuButton = $("menu-button");
  const note = $("sandbox-note");
  const bubbles = new Map(); // message id -> <li>
  const shown = new Map(); // message id -> the message as last drawn
  let personId = null;
  let commands = [];
  let socket = null;
  let retryDelay = 500;
  let toastTimer = null;

  // -- the API -----------------------------------------------------------------------------

  async function call(path, body) {
    try {
      const response = await fetch(path, {
        method: body === undefined ? "GET" : "POST",
        headers: body === undefined ? {} : { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const data = await response.json().catch(() => ({}));
      return { ok: response.ok, status: response.status, data };
    } catch (error) {
      return { ok: false, status: 0, data: { reason: "network" } };
    }
  }

  function reasonWords(result) {
    return WORDS.reasons[result.data && result.data.reason] || WORDS.somethingWrong;
  }

  // The note under the sandbox's controls says what the last action did; it clears when the
  // person does something else, or after a while.
  const NOTE_SHOWN_MS = 8000;
  let noteTimer = null;

  function say(text) {
    note.textContent = text;
    clearTimeout(noteTimer);
    if (text) noteTimer = setTimeout(() => (note.textContent = ""), NOTE_SHOWN_MS);
  }

  // -- drawing Telegram text -----------------------------------------------------------------

  const SAFE_LINK = /^(https?:|mailto:|tel:)/i;

  function elementFor(entity, text) {
    switch (entity.type) {
      case "bold":
        return document.createElement("strong");
      case "italic":
        return document.createElement("em");
      case "underline":
        return document.createElement("u");
      case "strikethrough":
        return document.createElement("s");
      case "code":
        return document.createElement("code");
      case "pre": {
        const pre = document.createElement("pre");
        if (entity.language) pre.dataset.language = entity.language;
        return pre;
      }
      case "blockquote":
      case "expandable_blockquote":
        return document.createElement("blockquote");
      case "spoiler": {
        const span = document.createElement("span");
        span.className = "spoiler";
        span.tabIndex = 0;
        span.setAttribute("role", "button");
        span.setAttribute("aria-label", WORDS.hiddenText);
        const reveal = () => {
          span.classList.add("revealed");
          span.removeAttribute("role");
          span.removeAttribute("aria-label");
          span.removeAttribute("tabindex");
        };
        span.addEventListener("click", reveal);
        span.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            reveal();
          }
        });
        return span;
      }
      case "text_link":
      case "url": {
        // A link Telegram found by itself may have no scheme ("988lifeline.org"): Telegram opens
        // it as a web address.
        const found = entity.type === "url" && !/^[a-z][a-z0-9+.-]*:/i.test(text);
        const href = entity.type === "url" ? (found ? `https://${text}` : text) : entity.url || "";
        if (!SAFE_LINK.test(href)) {
          const span = document.createElement("span");
          span.className = "link-off";
          return span;
        }
        const link = document.createElement("a");
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        return link;
      }
      case "bot_command": {
        if (entity.tappable) {
          // As in Telegram, a /command in the bot's words sends that command when tapped.
          const button = document.createElement("button");
          button.type = "button";
          button.className = "command command-link";
          button.addEventListener("click", () => send(text));
          return button;
        }
        const span = document.createElement("span");
        span.className = "command";
        return span;
      }
      default:
        return document.createElement("span");
    }
  }

  /* Telegram's apps turn "/command" words in a bot's message into links; the Bot API does not
   * send entities for them, so find them here (outside code, pre and links) by Telegram's own
   * rule: no letter, digit, "_", "/", "<" or ">" right before or after, so the "/b" of a
   * person's "</b>" quoted back is not a command. */
  const COMMAND_WORD = /(?<![\p{L}\p{N}_/<>])\/[a-z0-9_]{1,64}(?:@[a-z0-9_]{3,32})?(?![\p{L}\p{N}_/<>@])/giu;
  const NO_COMMANDS_INSIDE = new Set(["code", "pre", "text_link", "url", "bot_command"]);

  function commandEntities(text, entities) {
    const blocked = (entities || []).filter((e) => NO_COMMANDS_INSIDE.has(e.type));
    const found = [];
    for (const match of text.matchAll(COMMAND_WORD)) {
      const start = match.index;
      const end = start + match[0].length;
      if (!blocked.some((e) => start < e.offset + e.length && e.offset < end)) {
        found.push({ type: "bot_command", offset: start, length: end - start, tappable: true });
      }
    }
    return found;
  }

  /* Text plus entities to DOM nodes. Offsets are UTF-16 code units, as JavaScript strings are,
   * so they index the text directly; entities nest (an entity's children start inside it). */
  function renderText(text, entities, fromBot) {
    const fragment = document.createDocumentFragment();
    const all = [...(entities || []), ...(fromBot ? commandEntities(text, entities) : [])];
    const sorted = all
      .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
      .sort((a, b) => a.offset - b.offset || b.length - a.length);

    function build(parent, start, end, items) {
      let position = start;
      let i = 0;
      while (i < items.length) {
        const entity = items[i];
        const entityEnd = entity.offset + entity.length;
        const children = [];
        let j = i + 1;
        while (j < items.length && items[j].offset < entityEnd) {
          children.push(items[j]);
          j += 1;
        }
        const from = Math.max(entity.offset, position);
        const to = Math.min(entityEnd, end);
        if (to > from) {
          if (from > position) parent.append(text.slice(position, from));
          const element = elementFor(entity, text.slice(from, to));
          build(element, from, to, children);
          parent.append(element);
          position = to;
        }
        i = j;
      }
      if (end > position) parent.append(text.slice(position, end));
    }

    build(fragment, 0, text.length, sorted);
    return fragment;
  }

  // -- drawing messages ----------------------------------------------------------------------

  function visuallyHidden(text) {
    const span = document.createElement("span");
    span.className = "visually-hidden";
    span.textContent = text;
    return span;
  }

  function formatSize(bytes) {
    if (!Number.isFinite(bytes)) return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function drawFile(message, body) {
    const file = message.file;
    if (!file) return;
    if (message.kind === "photo") {
      const figure = document.createElement("figure");
      const img = document.createElement("img");
      img.src = file.url;
      img.alt = message.text ? `${WORDS.picture}: ${message.text}` : WORDS.picture;
      if (file.width && file.height) {
        img.width = file.width;
        img.height = file.height;
      }
      img.loading = "lazy";
      img.addEventListener("load", () => scrollToEnd(false));
      figure.append(img);
      body.append(figure);
      return;
    }
    const link = document.createElement("a");
    link.className = "document";
    link.href = file.url;
    link.download = file.name || "file";
    const name = document.createElement("span");
    name.className = "document-name";
    name.textContent = file.name || "file";
    const detail = document.createElement("span");
    detail.className = "document-detail";
    detail.textContent = `${WORDS.download} · ${formatSize(file.size)}`;
    link.append(name, detail);
    body.append(link);
  }

  function drawButtons(message, bubble) {
    if (!message.buttons || !message.buttons.length) return;
    const keyboard = document.createElement("div");
    keyboard.className = "keyboard";
    keyboard.setAttribute("role", "group");
    keyboard.setAttribute("aria-label", "Buttons");
    for (const row of message.buttons) {
      const line = document.createElement("div");
      line.className = "keyboard-row";
      for (const button of row) {
        if (button.url !== undefined) {
          const link = document.createElement("a");
          link.className = "inline-button";
          link.textContent = button.text;
          if (SAFE_LINK.test(button.url)) {
            link.href = button.url;
            link.target = "_blank";
            link.rel = "noopener noreferrer";
          }
          line.append(link);
          continue;
        }
        const element = document.createElement("button");
        element.type = "button";
        element.className = "inline-button";
        element.textContent = button.text;
        if (button.data === undefined) {
          element.disabled = true;
        } else {
          element.dataset.callback = button.data;
          element.addEventListener("click", () => press(message.id, button.data, element));
        }
        line.append(element);
      }
      keyboard.append(line);
    }
    bubble.append(keyboard);
  }

  function drawBubble(message, item) {
    const mine = message.from === "person";
    item.replaceChildren();
    item.className = `bubble ${mine ? "from-person" : "from-bot"} kind-${message.kind}`;
    item.dataset.id = String(message.id);
    item.append(visuallyHidden(mine ? WORDS.youSaid : WORDS.botSaid));
    const body = document.createElement("div");
    body.className = "body";
    drawFile(message, body);
    if (message.text) {
      const text = document.createElement("div");
      text.className = "text";
      text.append(renderText(message.text, message.entities, !mine));
      body.append(text);
    } else if (WORDS.kinds[message.kind] && mine) {
      const text = document.createElement("div");
      text.className = "text kind-label";
      text.textContent = WORDS.kinds[message.kind];
      body.append(text);
    }
    item.append(body);
    drawButtons(message, item);
    const meta = document.createElement("div");
    meta.className = "meta";
    const time = document.createElement("time");
    const when = new Date((message.date || 0) * 1000);
    time.dateTime = when.toISOString();
    time.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    meta.append(time);
    if (message.edited) {
      const edited = document.createElement("span");
      edited.className = "edited";
      edited.textContent = WORDS.edited;
      meta.append(" · ", edited);
    }
    item.append(meta);
  }

  function nearEnd() {
    return chat.scrollHeight - chat.scrollTop - chat.clientHeight < 120;
  }

  function scrollToEnd(force) {
    if (force || nearEnd()) chat.scrollTop = chat.scrollHeight;
  }

  function upsert(message) {
    const follow = nearEnd() || message.from === "person";
    let item = bubbles.get(message.id);
    if (item === undefined) {
      item = document.createElement("li");
      bubbles.set(message.id, item);
      // Messages arrive in order almost always; keep the list sorted by id regardless.
      const later = [...bubbles.entries()]
        .filter(([id]) => id > message.id)
        .sort(([a], [b]) => a - b)[0];
      if (later) list.insertBefore(item, later[1]);
      else list.append(item);
    }
    shown.set(message.id, message);
    // Redrawing replaces the bubble's buttons; keep keyboard focus on the same button if it is
    // still offered, otherwise hand it to the message box rather than losing it.
    const focused = item.contains(document.activeElement) ? document.activeElement : null;
    drawBubble(message, item);
    if (focused) {
      const same = [...item.querySelectorAll("button")].find(
        (b) => b.dataset.callback === focused.dataset.callback && b.textContent === focused.textContent,
      );
      (same || input).focus();
    }
    $("empty-hint").hidden = bubbles.size > 0;
    drawReplyKeyboard();
    if (follow) scrollToEnd(true);
  }

  function remove(id) {
    const item = bubbles.get(id);
    if (item) item.remove();
    bubbles.delete(id);
    shown.delete(id);
    $("empty-hint").hidden = bubbles.size > 0;
    drawReplyKeyboard();
  }

  /* A reply keyboard (if the bot ever sends one) stays under the chat until a later message
   * removes it, as in Telegram. */
  function drawReplyKeyboard() {
    const holder = $("reply-keyboard");
    const latest = [...shown.values()]
      .filter((m) => m.from === "bot" && (m.reply_keyboard || m.remove_keyboard))
      .sort((a, b) => b.id - a.id)[0];
    holder.replaceChildren();
    if (!latest || !latest.reply_keyboard || holder.dataset.used === String(latest.id)) {
      holder.hidden = true;
      return;
    }
    for (const row of latest.reply_keyboard.rows) {
      const line = document.createElement("div");
      line.className = "keyboard-row";
      for (const label of row) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "inline-button";
        button.textContent = label;
        button.addEventListener("click", () => {
          if (latest.reply_keyboard.one_time) holder.dataset.used = String(latest.id);
          send(label);
        });
        line.append(button);
      }
      holder.append(line);
    }
    holder.hidden = false;
  }

  function showToast(text, alert) {
    const toast = $("toast");
    $("toast-text").textContent = text;
    toast.classList.toggle("alert", alert);
    toast.hidden = false;
    clearTimeout(toastTimer);
    if (!alert) toastTimer = setTimeout(() => (toast.hidden = true), 5000);
  }

  // -- the live feed -----------------------------------------------------------------------

  function handle(frame) {
    switch (frame.type) {
      case "hello":
        bubbles.clear();
        shown.clear();
        list.replaceChildren();
        commands = frame.commands || [];
        for (const message of frame.messages) upsert(message);
        scrollToEnd(true);
        break;
      case "message":
        upsert(frame.message);
        break;
      case "delete":
        remove(frame.id);
        break;
      case "toast":
        showToast(frame.text, frame.alert);
        break;
      case "commands":
        commands = frame.commands || [];
        break;
      default:
        break;
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws?person=${personId}`);
    socket.addEventListener("open", () => {
      retryDelay = 500;
      $("connection").textContent = WORDS.connected;
      document.body.dataset.connected = "true";
    });
    socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
    socket.addEventListener("close", () => {
      document.body.dataset.connected = "false";
      $("connection").textContent = WORDS.reconnecting;
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 5000);
    });
  }

  // -- what the person does ----------------------------------------------------------------

  async function send(text) {
    if (!text.trim()) return false;
    say("");
    const result = await call(`/api/chat/${personId}/send`, { text });
    if (!result.ok) say(reasonWords(result));
    return result.ok;
  }

  async function press(messageId, data, element) {
    say("");
    element.disabled = true;
    element.setAttribute("aria-busy", "true");
    const result = await call(`/api/chat/${personId}/press`, { message_id: messageId, data });
    element.removeAttribute("aria-busy");
    if (element.isConnected) element.disabled = false;
    if (!result.ok) say(reasonWords(result));
  }

  function nudgeWords(which, result) {
    if (!result.ok) return reasonWords(result);
    const { status, detail, sent } = result.data;
    if (status === "not_set_up") return WORDS.reasons.not_set_up;
    if (status === "sent" && sent > 0) return WORDS.nudgeSent[which];
    if (status === "taken") return WORDS.nudgeTaken[which];
    if (status === "skipped" && WORDS.nudgeHeld[detail]) return WORDS.nudgeHeld[detail];
    if (status === "failed" || status === "error") return WORDS.nudgeFailed;
    return WORDS.nudgeNothing;
  }

  async function nudge(which, button) {
    button.disabled = true;
    say("");
    const result = await call(`/api/chat/${personId}/nudge`, { which });
    button.disabled = false;
    say(nudgeWords(which, result));
  }

  // -- the "/" command menu ----------------------------------------------------------------

  function menuItems() {
    return [...menu.querySelectorAll('[role="menuitem"]')];
  }

  function openMenu() {
    menu.replaceChildren();
    for (const command of commands) {
      const item = document.createElement("li");
      item.setAttribute("role", "menuitem");
      item.tabIndex = -1;
      item.dataset.command = `/${command.command}`;
      const name = document.createElement("span");
      name.className = "command-name";
      name.textContent = `/${command.command}`;
      const description = document.createElement("span");
      description.className = "command-description";
      description.textContent = command.description;
      item.append(name, description);
      item.addEventListener("click", () => chooseCommand(item));
      menu.append(item);
    }
    menu.hidden = false;
    menuButton.setAttribute("aria-expanded", "true");
    const first = menuItems()[0];
    if (first) first.focus();
  }

  function closeMenu(returnFocus) {
    menu.hidden = true;
    menuButton.setAttribute("aria-expanded", "false");
    if (returnFocus) menuButton.focus();
  }

  async function chooseCommand(item) {
    closeMenu(false);
    input.focus();
    await send(item.dataset.command);
  }

  menuButton.addEventListener("click", () => (menu.hidden ? openMenu() : closeMenu(true)));
  menuButton.addEventListener("keydown", (event) => {
    if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      event.preventDefault();
      openMenu();
    }
  });
  menu.addEventListener("keydown", (event) => {
    const items = menuItems();
    const at = items.indexOf(document.activeElement);
    const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      items[(moves[event.key] + items.length) % items.length].focus();
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      if (at >= 0) chooseCommand(items[at]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      closeMenu(true);
    } else if (event.key === "Tab") {
      closeMenu(false);
    }
  });
  document.addEventListener("click", (event) => {
    if (!menu.hidden && !menu.contains(event.target) && event.target !== menuButton) {
      closeMenu(false);
    }
  });

  // -- the composer ------------------------------------------------------------------------

  function fitInput() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }

  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    fitInput();
    if (!(await send(text))) {
      input.value = text;
      fitInput();
    }
    input.focus();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    } else if (event.key === "/" && input.value === "") {
      // A "/" in an empty box opens the command menu, as Telegram's clients do.
      event.preventDefault();
      openMenu();
    }
  });
  input.addEventListener("input", fitInput);

  $("toast-close").addEventListener("click", () => ($("toast").hidden = true));
  for (const id of ["nudge-prompt", "nudge-recap"]) {
    const button = $(id);
    button.addEventListener("click", () => nudge(button.dataset.which, button));
  }

  // -- people ------------------------------------------------------------------------------

  function openPerson(id) {
    const query = new URLSearchParams(location.search);
    query.set("person", String(id));
    query.delete("name");
    location.search = query.toString();
  }

  $("new-person").addEventListener("click", async () => {
    const result = await call("/api/persons", {});
    if (result.ok) openPerson(result.data.id);
    else say(reasonWords(result));
  });
  $("person-select").addEventListener("change", (event) => openPerson(event.target.value));

  async function start() {
    const query = new URLSearchParams(location.search);
    const wanted = Number.parseInt(query.get("person") || "", 10);
    const listed = await call("/api/persons");
    if (!listed.ok) {
      say(reasonWords(listed));
      return;
    }
    let persons = listed.data.persons;
    commands = listed.data.commands || [];
    let person = persons.find((p) => p.id === wanted);
    if (!person && (Number.isInteger(wanted) || persons.length === 0)) {
      // ?person=<id> for someone new: they are created on demand (with ?name= if given).
      const body = Number.isInteger(wanted) && wanted > 0 ? { id: wanted } : {};
      if (query.get("name")) body.name = query.get("name");
      const created = await call("/api/persons", body);
      if (!created.ok) {
        say(reasonWords(created));
        return;
      }
      person = created.data;
      persons = [...persons, person];
    }
    person = person || persons[0];
    personId = person.id;
    const select = $("person-select");
    select.replaceChildren();
    for (const p of persons) {
      const option = document.createElement("option");
      option.value = String(p.id);
      option.textContent = p.name;
      option.title = `Chat id ${p.id}`;
      option.selected = p.id === personId;
      select.append(option);
    }
    document.title = `Kindling sandbox: ${person.name}`;
    connect();
    input.focus();
  }

  start();
})();
