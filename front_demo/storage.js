// What the page keeps in this browser's localStorage, and nowhere else:
// the calibration profile the server handed out (one per server), and the random
// contributor id that donated samples are filed under. Both belong to the person:
// the server keeps neither once the session ends.

const PROFILE_PREFIX = "signify.profile:";
const CONTRIBUTOR_KEY = "signify.contributor";
const CONTRIBUTOR_BYTES = 18; // 24 base64url characters; the protocol allows 8 to 64 of A-Z a-z 0-9 _ -
const CONTRIBUTOR_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** localStorage, or null where the browser refuses it (some private modes, disabled storage). */
function storage() {
  try {
    const store = window.localStorage;
    store.getItem(CONTRIBUTOR_KEY);
    return store;
  } catch {
    return null;
  }
}

export function storageAvailable() {
  return storage() !== null;
}

function read(key) {
  try {
    const text = storage()?.getItem(key);
    return text ? JSON.parse(text) : null;
  } catch {
    return null; // unreadable: as if nothing were kept
  }
}

function write(key, value) {
  try {
    storage()?.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false; // full or refused
  }
}

function remove(key) {
  try {
    storage()?.removeItem(key);
  } catch {
    // nothing kept, nothing to remove
  }
}

/** The storage key of a server's profile: its WebSocket URL without the access token. */
export function profileKey(serverUrl) {
  let url = serverUrl;
  try {
    const parsed = new URL(serverUrl);
    parsed.searchParams.delete("token");
    url = parsed.toString();
  } catch {
    // not a URL: use it as it is
  }
  return PROFILE_PREFIX + url;
}

/**
 * The profile kept for a server: {profile, model: {name, version}, letters, saved},
 * or null when there is none or what is kept is not of that form.
 */
export function loadProfile(key) {
  const kept = read(key);
  const wellFormed = kept !== null && typeof kept === "object" && typeof kept.profile === "string"
    && typeof kept.model?.name === "string" && typeof kept.model?.version === "string" && Array.isArray(kept.letters);
  return wellFormed ? kept : null;
}

/** Keep the profile of a `profile` message; false when the browser would not store it. */
export function saveProfile(key, message) {
  return write(key, {
    profile: message.profile,
    model: { name: message.model.name, version: message.model.version },
    letters: [...message.letters],
    saved: new Date().toISOString(),
  });
}

export function forgetProfile(key) {
  remove(key);
}

/** A new random contributor id: 24 characters of base64url from crypto.getRandomValues. */
export function newContributorId() {
  const bytes = crypto.getRandomValues(new Uint8Array(CONTRIBUTOR_BYTES));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The contributor id kept in this browser, or null before the first donation. */
export function storedContributorId() {
  const id = read(CONTRIBUTOR_KEY);
  return typeof id === "string" && CONTRIBUTOR_PATTERN.test(id) ? id : null;
}

/** The kept contributor id, made (and kept) now if there is none. */
export function contributorId() {
  const kept = storedContributorId();
  if (kept) return kept;
  const id = newContributorId();
  write(CONTRIBUTOR_KEY, id);
  return id;
}

/** A new contributor id replaces the kept one; samples donated under the old one keep it. */
export function resetContributorId() {
  const id = newContributorId();
  write(CONTRIBUTOR_KEY, id);
  return id;
}
