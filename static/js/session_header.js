// The header shows who is logged in as the server drew it. The browser's back button can bring a page
// back from the back-forward cache exactly as it was drawn: logged out although the member has logged in
// since (a login link while logged in), or logged in after they logged out. Such a page asks who is
// logged in now and, when that differs from what its header shows, is drawn again by the server.
const nav = document.querySelector("[data-session]");

async function currentUserId() {
  try {
    const response = await fetch("/api/me", { credentials: "same-origin", cache: "no-store",
                                              headers: { Accept: "application/json" } });
    if (response.status === 401) return "";
    if (!response.ok) return null; // cannot tell (server trouble): leave the page as it is
    const me = await response.json();
    return String(me.id ?? "");
  } catch {
    return null; // offline: nothing to compare with
  }
}

if (nav) {
  window.addEventListener("pageshow", async (event) => {
    if (!event.persisted) return;
    const now = await currentUserId();
    if (now !== null && now !== nav.dataset.session) location.reload();
  });
}
