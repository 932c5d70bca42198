/*
 * JMForm: what every page script shares to talk to the server and show its answers.
 *
 *   JMForm.postJSON(url, body) -> jQuery promise of the JSON answer (CSRF header included)
 *   JMForm.postForm(url, formData) -> the same for a multipart form (files)
 *   JMForm.download(url, body) saves the answer (.xlsx, .pdf) under the server's file name
 *   JMForm.filename(contentDisposition): RFC 5987 filename* first (Chinese names), then filename
 *   JMForm.showError(target, error) shows a domain error's message and problems in target,
 *     each problem named by the field's label (from #jm-field-labels when the page has one)
 *   JMForm.esc(text), JMForm.money("671765.40") -> "671,765.40", JMForm.t(key, params)
 *
 * Strings come from the JSON block of templates/_jmform.html, which loads this script.
 * Needs jQuery (served by Flask-AppBuilder).
 */
(function (window, $) {
  'use strict';
  if (window.JMForm) { return; }

  function json(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  function t(key, params) {
    var strings = t.strings || (t.strings = json('jm-form-i18n'));
    var text = strings[key] || key;
    $.each(params || {}, function (name, value) {
      text = text.split('%(' + name + ')s').join(String(value));
    });
    return text;
  }

  function esc(value) {
    return String(value === null || value === undefined ? '' : value)
      .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  }

  /** An amount as the server sends it ("671765.40") with thousands separators: "671,765.40". */
  function money(value) {
    var text = String(value === null || value === undefined ? '' : value);
    if (!/^-?\d+(\.\d+)?$/.test(text)) { return text; }
    var parts = text.split('.');
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return parts.join('.');
  }

  /**
   * The file name of a Content-Disposition header: the RFC 5987 ``filename*`` (UTF-8, the real
   * Chinese name) when present, else the plain ``filename`` (an ASCII fallback); null if none.
   */
  function fileName(header) {
    if (!header) { return null; }
    var extended = header.match(/filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i);
    if (extended) {
      try { return decodeURIComponent(extended[2].trim().replace(/^"|"$/g, '')); } catch (ignore) { /* fall back */ }
    }
    var plain = header.match(/filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]+)/i);
    if (!plain) { return null; }
    return plain[2] !== undefined ? plain[2].replace(/\\(.)/g, '$1') : plain[1].trim();
  }

  function label(field) {
    var labels = label.map || (label.map = json('jm-field-labels'));
    return labels[field] || field;
  }

  var JMForm = {
    csrf: function () { return $('meta[name="csrf-token"]').attr('content') || ''; },
    postJSON: function (address, body) {
      return $.ajax({url: address, method: 'POST', data: JSON.stringify(body || {}),
        contentType: 'application/json', dataType: 'json',
        headers: {'X-CSRFToken': JMForm.csrf(), 'X-Requested-With': 'fetch'}});
    },
    postForm: function (address, formData) {
      formData.append('csrf_token', JMForm.csrf());
      return $.ajax({url: address, method: 'POST', data: formData, processData: false,
        contentType: false, dataType: 'json',
        headers: {'X-CSRFToken': JMForm.csrf(), 'X-Requested-With': 'fetch'}});
    },
    getJSON: function (address) {
      return $.ajax({url: address, method: 'GET', dataType: 'json',
        headers: {'X-Requested-With': 'fetch'}});
    },
    /** POST JSON and save the answer (an .xlsx or .pdf) under the server's file name. */
    download: function (address, body) {
      return fetch(address, {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-CSRFToken': JMForm.csrf()},
        body: JSON.stringify(body || {})}).then(function (response) {
        if (!response.ok) {
          return response.json().then(function (data) { throw data; });
        }
        var name = fileName(response.headers.get('Content-Disposition'));
        return response.blob().then(function (blob) {
          var link = document.createElement('a');
          link.href = URL.createObjectURL(blob);
          link.download = name || 'download';
          document.body.appendChild(link);
          link.click();
          setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
        });
      });
    },
    /**
     * Show a domain error (JSON {message, problems}) or a failed request in ``target``: the
     * message, then one list of the problems, each named by its label (never the internal field
     * name), and mark the inputs they are about (``name`` or ``data-field`` equal to the field;
     * with a row, the element inside ``[data-i=row-1]`` or ``[data-row=row]``) with ``has-error``.
     */
    showError: function (target, error, scope) {
      var data = error && error.responseJSON ? error.responseJSON : error;
      var message = (data && data.message) ||
        t('request_failed', {status: error && error.status ? error.status : ''});
      var problems = (data && data.problems) || [];
      var items = $.map(problems, function (p) {
        var where = p.row ? t('row', {row: p.row}) + ' ' : '';
        var name = p.label || (p.field ? label(p.field) : '');
        return '<li>' + esc(where) + (name ? '<b>' + esc(name) + '</b>：' : '') + esc(p.reason) + '</li>';
      }).join('');
      $(target).html('<div class="alert alert-danger jm-error"><b>' + esc(message) + '</b>' +
        (items ? '<ul>' + items + '</ul>' : '') + '</div>').removeClass('hidden');
      JMForm.markFields(problems, scope);
    },
    /** Mark the inputs of ``problems`` (see showError); clears the marks of an earlier call. */
    markFields: function (problems, scope) {
      var $scope = $(scope || document);
      $scope.find('.jm-invalid').removeClass('jm-invalid');
      $scope.find('.has-error.jm-marked').removeClass('has-error jm-marked');
      $.each(problems || [], function (_i, p) {
        if (!p.field) { return; }
        var field = String(p.field).replace(/["\\]/g, '');
        var $found = $scope.find('[name="' + field + '"], [data-field="' + field + '"]').not('.help-block');
        if (p.row) {
          $found = $found.filter(function () {
            var $row = $(this).closest('[data-i], [data-row]');
            return $(this).is('[data-i="' + (p.row - 1) + '"]') ||
              String($row.attr('data-i')) === String(p.row - 1) || String($row.attr('data-row')) === String(p.row);
          });
        }
        $found.addClass('jm-invalid');
        $found.closest('.form-group').addClass('has-error jm-marked');
      });
      var $first = $scope.find('.jm-invalid').first();
      if ($first.length && $first.is('input, select, textarea')) { $first.trigger('focus'); }
    },
    showMessage: function (target, kind, html) {
      $(target).html('<div class="alert alert-' + kind + '">' + html + '</div>').removeClass('hidden');
    },
    filename: fileName,
    label: label,
    esc: esc,
    money: money,
    t: t
  };

  window.JMForm = JMForm;
}(window, jQuery));
