// The new-event form: the URL's short name follows the event's name as it is typed, until the
// organizer edits the short name themselves. The server derives the same slug when the field
// is left empty, so the page works without this script too.
(function () {
  "use strict";
  var name = document.getElementById("name");
  var slug = document.getElementById("slug");
  if (!name || !slug) return;
  var touched = slug.value !== "";
  function slugify(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 70).replace(/-+$/, "");
  }
  slug.addEventListener("input", function () { touched = slug.value !== ""; });
  name.addEventListener("input", function () {
    if (!touched) slug.value = slugify(name.value);
  });
}());
