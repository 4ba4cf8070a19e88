// The chat page: one WebSocket to the receive gateway, JSON frames (see README, "The chat
// application"). Every action is a request to the chat worker by name; new posts arrive as
// messages of the topic chat.room.<room>. No framework, no build step.
"use strict";

const TIMEOUT_MS = 5000;
const $ = (id) => document.getElementById(id);

const state = {
  ws: null,
  nextId: 1,
  pending: new Map(),   // request id -> {resolve, reject, timer}
  user: null,
  room: null,
  seqs: new Set(),      // lines shown, by seq
  olderBefore: 0,       // cursor of the next older page, 0 when none
  backoffMs: 250,
};

function connect() {
  setStatus("connecting");
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  state.ws = ws;
  ws.onopen = () => {
    state.backoffMs = 250;
    setStatus("connected");
    listRooms();
    if (state.room) {
      enterRoom(state.room, state.user).catch(showError);   // after a reconnect
    }
  };
  ws.onmessage = (event) => onFrame(JSON.parse(event.data));
  ws.onclose = () => {
    setStatus("disconnected");
    for (const [, p] of state.pending) {
      p.reject({ code: "UNAVAILABLE", message: "the connection to the gateway was lost" });
    }
    state.pending.clear();
    setTimeout(connect, state.backoffMs);
    state.backoffMs = Math.min(5000, state.backoffMs * 2);
  };
}

// A frame that answers a request, or a topic message, or an error about a frame without id.
function onFrame(frame) {
  if ("topic" in frame) {
    onTopicMessage(frame);
    return;
  }
  const p = state.pending.get(frame.id);
  if (p) {
    state.pending.delete(frame.id);
    clearTimeout(p.timer);
    if (frame.ok) {
      p.resolve(frame.data !== undefined ? frame.data : frame);
    } else {
      p.reject({ code: frame.code, message: frame.message });
    }
  } else if (!frame.ok) {
    showError(frame);
  }
}

function send(frame) {
  return new Promise((resolve, reject) => {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
      reject({ code: "UNAVAILABLE", message: "not connected to the gateway" });
      return;
    }
    const id = state.nextId++;
    frame.id = id;
    const timer = setTimeout(() => {
      state.pending.delete(id);
      reject({ code: "DEADLINE_EXCEEDED", message: "no answer within " + (TIMEOUT_MS + 1000) + " ms" });
    }, TIMEOUT_MS + 1000);
    state.pending.set(id, { resolve, reject, timer });
    state.ws.send(JSON.stringify(frame));
  });
}

/** A request to a worker by name: resolves with the reply's data, rejects with {code, message}. */
function request(to, type, data) {
  return send({ to: to, type: "zmesh.samples." + type, data: data, timeout_ms: TIMEOUT_MS });
}

async function join(event) {
  event.preventDefault();
  clearError();
  const user = $("user").value.trim();
  const room = $("room").value.trim();
  try {
    await enterRoom(room, user);
  } catch (e) {
    showError(e, "Could not join");
  }
}

async function enterRoom(room, user) {
  const joined = await request("chat", "JoinRoom", { room: room, user: user });
  if (state.room && state.room !== room) {
    send({ unsubscribe: "chat.room." + state.room }).catch(() => {});
  }
  state.room = room;
  state.user = user;
  state.seqs.clear();
  $("messages").replaceChildren();
  $("gap").hidden = true;
  $("room-title").textContent = "#" + joined.room.name + " as " + user;
  await send({ subscribe: "chat.room." + room });
  await loadHistory(0);
  $("text").disabled = false;
  $("send").disabled = false;
  $("text").focus();
  listRooms();
}

async function loadHistory(before) {
  const history = await request("chat", "HistoryRequest", { room: state.room, before: before, limit: 50 });
  for (const line of history.lines) {
    addLine(line);
  }
  state.olderBefore = Number(history.nextBefore);
  $("older").hidden = state.olderBefore === 0;
  if (before === 0) {
    scrollToEnd();
  }
}

async function post(event) {
  event.preventDefault();
  const text = $("text").value;
  const clientId = window.crypto && crypto.randomUUID ? crypto.randomUUID()
    : Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  try {
    const ack = await request("chat", "PostMessage",
      { room: state.room, user: state.user, text: text, clientId: clientId });
    clearError();
    $("text").value = "";
    addLine({ seq: ack.seq, user: state.user, text: text, atMs: ack.atMs });
    scrollToEnd();
  } catch (e) {
    showError(e, "Could not post");
  }
}

function onTopicMessage(frame) {
  if (frame.type !== "zmesh.samples.Posted" || !frame.data || frame.data.room !== state.room) {
    return;
  }
  if (frame.dropped > 0) {
    $("gap").textContent = frame.dropped + " messages were missed while this page was behind; reload to see them.";
    $("gap").hidden = false;
  }
  const atEnd = isAtEnd();
  addLine(frame.data.line);
  if (atEnd) {
    scrollToEnd();
  }
}

/** Shows a line once, in seq order (history, own posts and the topic may all bring it). */
function addLine(line) {
  const seq = Number(line.seq);
  if (state.seqs.has(seq)) {
    return;
  }
  state.seqs.add(seq);
  const li = document.createElement("li");
  li.dataset.seq = String(seq);
  if (line.user === state.user) {
    li.className = "mine";
  }
  const at = new Date(Number(line.atMs));
  li.append(span("seq", "#" + seq), span("user", line.user), span("text", line.text));
  const time = document.createElement("time");
  time.dateTime = at.toISOString();
  time.textContent = at.toLocaleTimeString();
  li.append(time);
  const list = $("messages");
  let after = null;
  for (const other of list.children) {
    if (Number(other.dataset.seq) > seq) {
      after = other;
      break;
    }
  }
  list.insertBefore(li, after);
  const count = document.querySelector("#rooms li.current .count");
  if (count && Number(count.textContent) < seq) {
    count.textContent = String(seq);
  }
}

function span(cls, text) {
  const s = document.createElement("span");
  s.className = cls;
  s.textContent = text;
  return s;
}

async function listRooms() {
  try {
    const list = await request("chat", "ListRoomsRequest", { limit: 50 });
    const ul = $("rooms");
    ul.replaceChildren();
    for (const room of list.rooms) {
      const li = document.createElement("li");
      li.append(span("name", "#" + room.name), span("count", String(room.messages)));
      if (room.name === state.room) {
        li.className = "current";
      }
      li.onclick = () => { $("room").value = room.name; };
      ul.append(li);
    }
  } catch (e) {
    // The rooms list is a convenience; the error shows when the user acts.
  }
}

function showError(e, what) {
  $("error-text").textContent = (what ? what + ": " : "") + e.code + ": " + e.message;
  $("error").hidden = false;
}

function clearError() {
  $("error").hidden = true;
}

function setStatus(s) {
  $("status").textContent = s;
  $("status").className = "status " + s;
}

function isAtEnd() {
  const m = $("messages");
  return m.scrollHeight - m.scrollTop - m.clientHeight < 40;
}

function scrollToEnd() {
  const m = $("messages");
  m.scrollTop = m.scrollHeight;
}

$("join-form").addEventListener("submit", join);
$("post-form").addEventListener("submit", post);
$("older").addEventListener("click", () => loadHistory(state.olderBefore).catch((e) => showError(e, "Could not load")));
$("error-close").addEventListener("click", clearError);
connect();
