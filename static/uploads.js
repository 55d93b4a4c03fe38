// Image uploads (brand logo, image blocks): posts the file to Herald, which checks and
// re-encodes it and answers with the public address. window.HeraldUpload.upload(url, file)
// returns a promise of {url, width, height} or rejects with a readable message.
(function () {
  "use strict";
  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  function upload(url, file) {
    var body = new FormData();
    body.append("image", file, file.name);
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || "The upload failed (" + response.status + "). Try again.");
        return data;
      });
    }, function () { throw new Error("The upload did not reach Herald. Check the connection and try again."); });
  }

  window.HeraldUpload = { upload: upload };

  // Brand settings: a file chosen under the logo field is uploaded and its address filled in.
  function setupFields() {
    document.querySelectorAll("[data-upload-into]").forEach(function (box) {
      var target = document.getElementById(box.getAttribute("data-upload-into"));
      var input = box.querySelector("input[type=file]");
      var status = box.querySelector("[role=status]");
      if (!target || !input) return;
      box.hidden = false;
      input.addEventListener("change", function () {
        if (!input.files.length) return;
        status.textContent = "Uploading " + input.files[0].name + "…";
        upload(box.getAttribute("data-upload-url"), input.files[0]).then(function (data) {
          target.value = data.url;
          target.dispatchEvent(new Event("input", { bubbles: true }));
          status.textContent = "Uploaded (" + data.width + " × " + data.height + " px). Save the brand to use it.";
        }, function (error) {
          status.textContent = error.message;
        });
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setupFields);
  else setupFields();
})();
