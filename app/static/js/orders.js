/* The order form of every business, built on JMForm (jmform.js).
 *
 * The page (#jm-order-page) carries the addresses; each way of bringing lines in (the business's
 * intake modes) has its buttons in the page, and this script wires whichever are present:
 * 接口获取 (dialog of trading-system projects), 导入 (the house template), and 选择楼幢 / 批量修改 /
 * row editing for businesses that change existing rows. Each first saves the form, so a new order
 * gets its number and the typed fields are kept; long work runs as a job whose progress is polled,
 * so the page never waits on a long request. */
(function (window, $) {
  'use strict';

  var $page = $('#jm-order-page');
  if (!$page.length) { return; }
  var form = document.getElementById('jm-order-form');
  var data = $page.data();
  var orderId = String(data.orderId || '');
  var POLL_MS = 700;
  var esc = JMForm.esc;

  function urlFor(template, id) { return template.replace(/\/0(\/|$|\?)/, '/' + id + '$1'); }
  function showErrors(error) { JMForm.showError('#jm-ajax-errors', error); scrollTo('#jm-ajax-errors'); }
  function scrollTo(selector) {
    var node = document.querySelector(selector);
    if (node) { node.scrollIntoView({behavior: 'smooth', block: 'center'}); }
  }
  function reloadAt(anchor) {
    window.location.href = urlFor(data.editUrl, orderId) + (anchor || '');
    window.location.reload();
  }

  /* Save the form as a draft (creating the order if needed); resolves with the order id. */
  function ensureSaved() {
    setProgress(0, 0, data.msgSaving);
    // form.action would be the buttons named "action": read the attribute itself.
    return JMForm.postForm(form.getAttribute('action'), new FormData(form)).then(function (answer) {
      orderId = String(answer.id);
      $page.attr('data-order-id', orderId);
      form.setAttribute('action', answer.edit_url);
      $('#jm-version').val(answer.version);
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, '', answer.edit_url);
      }
      hideProgress();
      return orderId;
    }, function (xhr) {
      hideProgress();
      showErrors(xhr);
      setBusy(false);
      return $.Deferred().reject().promise();
    });
  }

  /* ---------------------------------------------------------------- progress and jobs */

  var $progress = $('#jm-progress');
  var $bar = $('#jm-progress-bar');

  function setProgress(done, total, message) {
    $progress.removeClass('hidden');
    $('#jm-job-result').empty();
    var percent = total ? Math.round(100 * done / total) : 5;
    $bar.css('width', Math.max(percent, 5) + '%').addClass('active')
      .removeClass('progress-bar-danger progress-bar-success');
    $('#jm-progress-text').text(message || '');
  }

  function hideProgress() { $progress.addClass('hidden'); }

  function setBusy(busy) { $('[data-busy]').prop('disabled', busy); }

  function finished(job) {
    $bar.removeClass('active').css('width', '100%');
    $('#jm-progress-text').text(job.message);
    if (job.state === 'done') {
      $bar.addClass('progress-bar-success');
      reloadAt('#lines');
      return;
    }
    $bar.addClass('progress-bar-danger');
    var html = '';
    if (job.marked_url) {
      html += '<p><a class="btn btn-warning btn-xs" id="jm-marked-copy" href="' + esc(job.marked_url) + '">' +
        esc(data.msgMarked) + '</a></p>';
    }
    if (job.problems && job.problems.length) {
      html += '<div class="jm-job-problems"><table class="table table-condensed table-bordered" id="jm-job-problems">' +
        $.map(job.problems, function (p) {
          return '<tr><td>' + esc(p.row || '') + '</td><td>' + esc(JMForm.label(p.field)) +
            '</td><td>' + esc(p.value || '') + '</td><td>' + esc(p.reason) + '</td></tr>';
        }).join('') + '</table></div>';
    }
    $('#jm-job-result').html(html);
    setBusy(false);
  }

  function poll(job) {
    if (job.state !== 'running') { finished(job); return; }
    setProgress(job.done, job.total, job.message || data.msgStarting);
    window.setTimeout(function () {
      JMForm.getJSON(urlFor(data.jobUrl, job.id)).done(function (answer) {
        if (answer.marked_url) { job.marked_url = answer.marked_url; }
        poll(answer);
      }).fail(function (xhr) { showErrors(xhr); setBusy(false); });
    }, POLL_MS);
  }

  function started(request) {
    return request.done(poll).fail(function (xhr) { hideProgress(); showErrors(xhr); setBusy(false); });
  }

  /* ---------------------------------------------------------------- 导入, 批量导入 */

  /* A button opening a file chooser whose file is posted to ``url`` as a job. */
  function wireUpload(button, input, url) {
    var $file = $(input);
    $(button).on('click', function () { $file.val('').trigger('click'); });
    $file.on('change', function () {
      if (!this.files.length) { return; }
      var file = this.files[0];
      setBusy(true);
      ensureSaved().then(function (id) {
        var body = new FormData();
        body.append('file', file, file.name);
        setProgress(0, 0, data.msgStarting);
        return started(JMForm.postForm(urlFor(url, id), body));
      });
    });
  }

  wireUpload('#jm-import-open', '#jm-import-file', data.importUrl);

  /* ---------------------------------------------------------------- 接口获取 */

  var $trade = $('#jm-trade-open');
  var $status = $('#jm-trade-status');

  function searchProjects() {
    $status.text('…');
    var $body = $('#jm-trade-table tbody').empty();
    var q = $('#jm-trade-query').val() || '';
    JMForm.getJSON($trade.data('projects-url') + '?q=' + encodeURIComponent(q)).done(function (answer) {
      var items = answer.items || [];
      $status.text(items.length ? '' : $trade.data('msg-noprojects'));
      $body.html($.map(items, function (p) {
        // "taken" names the area or the unfinished order that already has the project; a
        // supplement may still fetch its own area's project, so the box stays enabled.
        var note = p.taken ? '<br><span class="label label-default jm-taken">' + esc(p.taken) + '</span>' : '';
        return '<tr><td><input type="checkbox" class="jm-project-check" value="' +
          esc(p.project_id) + '"></td><td>' + esc(p.name) + note +
          '<br><small class="text-muted">' + esc(p.project_id) + '</small></td><td>' + esc(p.address) +
          '</td><td>' + esc(p.presale_permit_no) + '</td><td>' + esc(p.building_count) + '</td><td>' +
          esc(p.house_count) + '</td></tr>';
      }).join(''));
    }).fail(function (xhr) { JMForm.showError($status, xhr); });
  }

  $trade.on('click', function () { $('#jm-trade-modal').modal('show'); searchProjects(); });
  $('#jm-trade-search').on('click', searchProjects);
  $('#jm-trade-query').on('keydown', function (event) {
    if (event.key === 'Enter') { event.preventDefault(); searchProjects(); }
  });
  $('#jm-trade-ok').on('click', function () {
    var ids = $('.jm-project-check:checked').map(function () { return this.value; }).get();
    if (!ids.length) { $status.text($trade.data('msg-choose')); return; }
    $('#jm-trade-modal').modal('hide');
    setBusy(true);
    ensureSaved().then(function (id) {
      setProgress(0, ids.length + 2, data.msgStarting);
      return started(JMForm.postJSON(urlFor($trade.data('fetch-url'), id), {project_ids: ids}));
    });
  });

  /* ---------------------------------------------------------------- existing rows: pick, modify */

  $('#jm-pick-rows').on('click', function () {
    var areaId = $('#f-area_id').val();
    if (!areaId) { showErrors({message: $(this).data('msg-area')}); return; }
    var options = {areaId: areaId, mode: $(this).data('mode') || 'buildings'};
    // Houses mode: only the states the business may take can be ticked (data-selectable).
    if ($(this).data('selectable')) { options.selectable = $(this).data('selectable'); }
    window.HousePicker.open($.extend(options, {onConfirm: function (ids) {
      if (!ids.length) { return; }
      setBusy(true);
      ensureSaved().then(function (id) {
        return JMForm.postJSON(urlFor(data.pickUrl, id), {ids: ids})
          .done(function () { reloadAt('#lines'); })
          .fail(function (xhr) { showErrors(xhr); setBusy(false); });
      });
    }}));
  });

  var $modify = $('#jm-modify-modal');
  var editing = null;  // the seq of the line edited alone, or null for 批量修改

  function openModify(seq, after) {
    editing = seq;
    $modify.find('[data-single]').toggle(seq !== null);
    $modify.find('[data-batch]').toggle(seq === null);
    $modify.find('[name]').each(function () {
      var value = seq !== null && after ? after[this.name] : '';
      value = value === null || value === undefined ? '' : String(value);
      // A typed-for box (the area) holds no options but its chosen one: the line names its value.
      if ($(this).hasClass('jm-ajax-select')) {
        window.JMAjaxSelect.set(this, value, after ? after[this.name + '_label'] : '');
      } else {
        $(this).val(value);
      }
    });
    $modify.find('.jm-modify-errors').empty();
    $modify.modal('show');
  }

  $('#jm-batch-open').on('click', function () { openModify(null, null); });
  $('#jm-lines-table').on('click', '.jm-line-edit', function () {
    if ($owners.length) { openOwners($(this).data('seq'), $(this).data('after')); return; }
    openModify($(this).data('seq'), $(this).data('after'));
  });

  // 编辑业主: the owners of one house (房屋权属批量变更), rows added, changed and deleted.
  var $owners = $('#jm-owners-modal');
  var ownersSeq = null;

  function ownerRow(owner) {
    var $row = $($('#jm-owner-row').html());
    $row.find('[data-key]').each(function () {
      var value = owner ? owner[$(this).data('key')] : '';
      if (value !== undefined && value !== null && value !== '') { $(this).val(String(value)); }
    });
    return $row;
  }

  function openOwners(seq, after) {
    ownersSeq = seq;
    $('#jm-owners-house').text(after && after.code ? after.code : '');
    var $body = $('#jm-owners-table tbody').empty();
    $.each((after && after.owners) || [], function (i, owner) { $body.append(ownerRow(owner)); });
    if (!$body.children().length) { $body.append(ownerRow(null)); }
    $owners.find('.jm-owners-errors').empty();
    $owners.modal('show');
  }

  $('#jm-owner-add').on('click', function () { $('#jm-owners-table tbody').append(ownerRow(null)); });
  $owners.on('click', '.jm-owner-delete', function () { $(this).closest('tr').remove(); });
  $('#jm-owners-ok').on('click', function () {
    var owners = $('#jm-owners-table tbody tr').map(function () {
      var owner = {};
      $(this).find('[data-key]').each(function () { owner[$(this).data('key')] = $(this).val(); });
      return owner;
    }).get();
    JMForm.postJSON(urlFor(data.modifyUrl, orderId), {seqs: [ownersSeq], values: {owners: owners}})
      .done(function () { reloadAt('#lines'); })
      .fail(function (xhr) { JMForm.showError($owners.find('.jm-owners-errors'), xhr); });
  });
  $('#jm-modify-ok').on('click', function () {
    var values = {};
    $modify.find('[name]').each(function () {
      if (editing !== null || this.value !== '') { values[this.name] = this.value; }
    });
    var seqs = editing !== null ? [editing] : null;
    if (editing === null) {
      var checked = $('.jm-line-check:checked').map(function () { return this.value; }).get();
      if (checked.length) { seqs = checked; }
    }
    JMForm.postJSON(urlFor(data.modifyUrl, orderId), {seqs: seqs, values: values})
      .done(function () { reloadAt('#lines'); })
      .fail(function (xhr) { JMForm.showError($modify.find('.jm-modify-errors'), xhr); });
  });

  /* ---------------------------------------------------------------- attachments */

  // Before the first save there is no order to attach to: save it for the user, then upload.
  $('#jm-upload-form').on('submit', function (event) {
    var upload = this;
    if (orderId) { return; }
    event.preventDefault();
    setBusy(true);
    ensureSaved().then(function (id) {
      upload.setAttribute('action', urlFor($(upload).data('upload-url'), id));
      upload.submit();
    });
  });

  /* ---------------------------------------------------------------- the rest of the page */

  $('select[data-reload]').on('change', function () {
    if (orderId) { return; }
    window.location.search = '?' + this.name + '=' + encodeURIComponent(this.value);
  });
  $('#jm-select-all').on('change', function () { $('.jm-line-check').prop('checked', this.checked); });

  // Every button is wired: a click before this would do nothing (tests wait for it).
  $page.attr('data-jm-ready', '1');
}(window, jQuery));
