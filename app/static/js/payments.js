/*
 * The 交款管理 pages: 开发建设单位批量交款 (batch), 代打交款通知单 (owners), 自定义交款 (custom)
 * and the notice page (print again / void). Each page's root element says which it is
 * (data-page) and carries its URLs. Needs picker.js (HousePicker, JMForm).
 */
(function (window, $) {
  'use strict';

  var TEXT = null;

  function text(key, params) {
    if (!TEXT) {
      var node = document.getElementById('jm-text');
      TEXT = node ? JSON.parse(node.textContent) : {};
    }
    var value = TEXT[key] || key;
    $.each(params || {}, function (name, v) { value = value.split('%(' + name + ')s').join(String(v)); });
    return value;
  }

  function esc(value) { return JMForm.esc(value); }

  function money(value) { return JMForm.money(value); }

  function areaId() { return parseInt($('#jm-area').val(), 10) || null; }

  function requireArea() {
    if (!areaId()) {
      JMForm.showMessage('#jm-message', 'warning', esc(text('choose_area')));
      return false;
    }
    return true;
  }

  function busy($button, on) {
    $button.prop('disabled', on);
    if (on) { JMForm.showMessage('#jm-message', 'info', esc(text('working'))); }
    else { $('#jm-message').empty(); }
  }

  /** The answer of an issue call: the notices, links to print them, voided and skipped houses. */
  function showIssued(answer) {
    var numbers = $.map(answer.notices, function (n) {
      return '<li><code>' + esc(n.number) + '</code> · ' + esc(text('houses_count', {count: n.houses})) +
        ' · ¥' + esc(money(n.total)) + '</li>';
    }).join('');
    var html = '<p><b>' + esc(text('created', {count: answer.notices.length})) + '</b></p><ul>' + numbers + '</ul>' +
      '<p><a class="btn btn-success" id="jm-open-pdf" target="_blank" href="' + esc(answer.print_url) + '">' +
      '<i class="fa fa-file-pdf"></i> ' + esc(text('open_pdf')) + '</a> ' +
      '<a class="btn btn-default" target="_blank" href="' + esc(answer.print_url + '?format=html') + '">' +
      esc(text('open_html')) + '</a> <a class="btn btn-link" href="' + esc(answer.list_url) + '">' +
      esc(text('notice_list')) + '</a></p>';
    if (answer.voided.length) {
      html += '<p class="text-warning">' + esc(text('voided', {numbers: answer.voided.join(', ')})) + '</p>';
    }
    if (answer.skipped.length) {
      html += '<p class="text-warning">' + esc(text('left_off')) + '</p><ul class="text-warning jm-skipped">' +
        $.map(answer.skipped, function (s) { return '<li>' + esc(s.location) + ': ' + esc(s.reason) + '</li>'; }).join('') +
        '</ul>';
    }
    JMForm.showMessage('#jm-result', 'success', html);
    HousePicker.reset();
  }

  function emptyRow($table) {
    $table.find('tbody').html('<tr class="jm-empty"><td colspan="' + $table.find('thead th').length +
      '" class="text-muted">' + esc(text('nothing_picked')) + '</td></tr>');
  }

  /* ------------------------------------------------------------------ §1.4.1 batch */

  function batchPage($root) {
    var buildings = [];

    function render() {
      var $body = $('#jm-buildings tbody');
      if (!buildings.length) { emptyRow($('#jm-buildings')); }
      else {
        $body.html($.map(buildings, function (b) {
          return '<tr data-id="' + b.id + '"><td>' + esc(b.name) + '</td><td class="text-right">' + esc(b.houses) +
            '</td><td class="text-right">' + esc(b.unpaid) + '</td><td class="text-right">' + esc(b.contracts) +
            '</td><td><a href="#" class="jm-remove">' + esc(text('remove')) + '</a></td></tr>';
        }).join(''));
      }
      $('#jm-print').prop('disabled', !buildings.length);
    }

    $('#jm-area').on('change', function () { buildings = []; render(); $('#jm-result').empty(); });
    $('#jm-pick-buildings').on('click', function () {
      if (!requireArea()) { return; }
      HousePicker.open({areaId: areaId(), mode: 'buildings', selected: $.map(buildings, function (b) { return b.id; }),
        onConfirm: function (ids, items) { buildings = items; render(); }});
    });
    $('#jm-buildings').on('click', '.jm-remove', function (e) {
      e.preventDefault();
      var id = $(this).closest('tr').data('id');
      buildings = $.grep(buildings, function (b) { return b.id !== id; });
      render();
    });

    var held = 'ask';

    function buildingIds() { return $.map(buildings, function (b) { return b.id; }); }

    function issue() {
      busy($('#jm-print'), true);
      JMForm.postJSON($root.data('issue-url'), {area_id: areaId(), building_ids: buildingIds(), held: held})
        .done(function (answer) { $('#jm-message').empty(); showIssued(answer); })
        .fail(function (xhr) {
          var error = xhr.responseJSON || {};
          if (error.decision === 'held_notices') { $('#jm-message').empty(); askHeld(error.notices, issue); return; }
          JMForm.showError('#jm-message', xhr);
        })
        .always(function () { $('#jm-print').prop('disabled', false); });
    }

    /** Houses already on unpaid notices: list those notices, then print only after a choice. */
    function askHeld(notices, then) {
      $('#jm-held-list').html('<table class="table table-condensed table-bordered"><thead><tr><th>' +
        esc(text('notice_number')) + '</th><th>' + esc(text('payer')) + '</th><th class="text-right">' +
        esc(text('amount')) + '</th><th>' + esc(text('houses_on_it')) + '</th></tr></thead><tbody>' +
        $.map(notices, function (n) {
          return '<tr><td><code>' + esc(n.number) + '</code></td><td>' + esc(n.payer) + ': ' + esc(n.payer_name) +
            '</td><td class="text-right">¥' + esc(money(n.total)) + '</td><td>' +
            $.map(n.locations, function (l) { return '<span class="label label-default">' + esc(l) + '</span>'; }).join(' ') +
            '</td></tr>';
        }).join('') + '</tbody></table>');
      $('#jm-held').data('then', then).modal('show');
    }

    $('#jm-held').on('click', '[data-held]', function () {
      held = $(this).data('held');
      var then = $('#jm-held').data('then');
      $('#jm-held').modal('hide');
      if (then) { then(); }
    });

    function warnOrIssue(answer) {
      var warn = $.grep(answer.buildings, function (b) { return b.without_contract.length > 0; });
      if (!warn.length) { issue(); return; }
      $('#jm-warn-list').html($.map(warn, function (b) {
        return '<h5>' + esc(text('building_line', {name: b.name, houses: b.houses, total: money(b.total)})) + ' · ' +
          esc(text('without_contract', {count: b.without_contract.length})) + '</h5><p class="jm-codes">' +
          $.map(b.without_contract, function (h) { return '<span class="label label-default">' + esc(h.location) + '</span>'; }).join(' ') + '</p>';
      }).join(''));
      $('#jm-warn').modal('show');
    }

    $('#jm-print').on('click', function () {
      if (!requireArea()) { return; }
      if (!buildings.length) { JMForm.showMessage('#jm-message', 'warning', esc(text('choose_buildings'))); return; }
      busy($('#jm-print'), true);
      held = 'ask';
      JMForm.postJSON($root.data('preview-url'), {area_id: areaId(), building_ids: buildingIds()})
        .done(function (answer) {
          $('#jm-message').empty();
          $('#jm-print').prop('disabled', false);
          var notices = [];
          $.each(answer.buildings, function (_i, b) { notices = notices.concat(b.holding); });
          if (notices.length) { askHeld(notices, function () { warnOrIssue(answer); }); return; }
          warnOrIssue(answer);
        })
        .fail(function (xhr) { $('#jm-print').prop('disabled', false); JMForm.showError('#jm-message', xhr); });
    });
    $('#jm-continue').on('click', function () { $('#jm-warn').modal('hide'); issue(); });
    render();
  }

  /* ------------------------------------------------------------------ §1.4.2 owners */

  function ownersPage($root) {
    var houses = [];
    var idTypes = JSON.parse(document.getElementById('jm-id-types').textContent);

    function load(ids) {
      return JMForm.postJSON($root.data('houses-url'), {area_id: areaId(), house_ids: ids})
        .done(function (answer) { houses = answer.houses; render(); })
        .fail(function (xhr) { JMForm.showError('#jm-message', xhr); });
    }

    function ownerNames(house) {
      return house.owners.length ? esc($.map(house.owners, function (o) { return o.name; }).join('、'))
        : '<span class="text-danger">' + esc(text('no_owner')) + '</span>';
    }

    function render() {
      if (!houses.length) { emptyRow($('#jm-houses')); }
      else {
        $('#jm-houses tbody').html($.map(houses, function (h) {
          return '<tr data-id="' + h.house_id + '"><td>' + esc(h.house_code) + '</td><td>' + esc(h.location) +
            '</td><td class="text-right">' + esc(money(h.outstanding)) + '</td><td class="jm-owner-names">' +
            ownerNames(h) +
            '</td><td>' + esc(h.contract_no) + '</td><td><a href="#" class="jm-remove">' + esc(text('remove')) + '</a></td></tr>';
        }).join(''));
      }
      $('#jm-open-list').prop('disabled', !houses.length);
    }

    function idTypeOptions(selected) {
      return $.map(idTypes, function (pair) {
        return '<option value="' + esc(pair[0]) + '"' + (pair[0] === selected ? ' selected' : '') + '>' +
          esc(pair[1]) + '</option>';
      }).join('');
    }

    function input(name, field, value, placeholder) {
      return '<td><input class="form-control input-sm ' + name + '" data-field="' + field + '" value="' + esc(value) +
        '" placeholder="' + esc(placeholder) + '"></td>';
    }

    function ownerRow(owner) {
      owner = owner || {name: '', id_type: '01', id_no: '', phone: ''};
      return '<tr class="jm-owner">' + input('jm-o-name', 'name', owner.name, text('name')) +
        '<td><select class="form-control input-sm jm-o-type" data-field="id_type">' + idTypeOptions(owner.id_type) + '</select></td>' +
        input('jm-o-idno', 'id_no', owner.id_no, text('id_no')) + input('jm-o-phone', 'phone', owner.phone, text('phone')) +
        '<td><a href="#" class="jm-o-delete text-danger" title="' + esc(text('delete')) + '">' +
        '<i class="fa fa-trash"></i></a></td></tr>';
    }

    function renderDialog() {
      $('#jm-owner-table tbody').html($.map(houses, function (h) {
        return '<tr class="jm-house-row" data-id="' + h.house_id + '"><td style="width:30px"><a href="#" class="jm-toggle" title="' +
          esc(text('owners')) + '"><i class="fa fa-user-plus"></i></a></td><td>' + esc(h.house_code) + '</td><td>' +
          esc(h.location) + (h.contract_no ? '' : ' <span class="label label-warning">' + esc(text('no_contract')) +
          '</span>') + '</td><td class="text-right">¥' + esc(money(h.outstanding)) + '</td><td class="jm-owner-names">' +
          ownerNames(h) + '</td></tr><tr class="jm-editor hidden" data-id="' + h.house_id + '"><td></td><td colspan="4">' +
          '<table class="table table-condensed jm-owner-editor"><thead><tr><th class="jm-required">' + esc(text('name')) +
          '</th><th class="jm-required">' + esc(text('id_type')) + '</th><th class="jm-required">' + esc(text('id_no')) +
          '</th><th class="jm-required">' + esc(text('phone')) + '</th><th></th></tr></thead><tbody>' +
          $.map(h.owners, ownerRow).join('') + '</tbody></table>' +
          '<button type="button" class="btn btn-default btn-xs jm-o-add"><i class="fa fa-plus"></i> ' + esc(text('add_owner')) +
          '</button> <button type="button" class="btn btn-primary btn-xs jm-o-save">' + esc(text('save_owners')) +
          '</button> <span class="jm-o-message"></span></td></tr>';
      }).join(''));
    }

    $('#jm-area').on('change', function () { houses = []; render(); $('#jm-result').empty(); });
    $('#jm-pick-houses').on('click', function () {
      if (!requireArea()) { return; }
      HousePicker.open({areaId: areaId(), mode: 'houses', selectable: ['unpaid', 'partly_paid'],
        selected: $.map(houses, function (h) { return h.house_id; }),
        onConfirm: function (ids) { load(ids); }});
    });
    $('#jm-houses').on('click', '.jm-remove', function (e) {
      e.preventDefault();
      var id = $(this).closest('tr').data('id');
      houses = $.grep(houses, function (h) { return h.house_id !== id; });
      render();
    });
    $('#jm-open-list').on('click', function () {
      renderDialog();
      $('#jm-dialog-message').empty();
      $('#jm-owner-list').modal('show');
    });
    var $dialog = $('#jm-owner-list');
    $dialog.on('click', '.jm-toggle', function (e) {
      e.preventDefault();
      var id = $(this).closest('tr').data('id');
      var $editor = $dialog.find('tr.jm-editor[data-id="' + id + '"]').toggleClass('hidden');
      if (!$editor.hasClass('hidden') && !$editor.find('tr.jm-owner').length) {
        $editor.find('.jm-owner-editor tbody').append(ownerRow());
      }
    });
    $dialog.on('click', '.jm-o-add', function () {
      $(this).closest('td').find('.jm-owner-editor tbody').append(ownerRow());
    });
    $dialog.on('click', '.jm-o-delete', function (e) { e.preventDefault(); $(this).closest('tr').remove(); });
    $dialog.on('click', '.jm-o-save', function () {
      var $cell = $(this).closest('td');
      var id = $(this).closest('tr').data('id');
      var owners = $cell.find('tr.jm-owner').map(function () {
        var $r = $(this);
        return {name: $r.find('.jm-o-name').val(), id_type: $r.find('.jm-o-type').val(),
          id_no: $r.find('.jm-o-idno').val(), phone: $r.find('.jm-o-phone').val()};
      }).get();
      var address = $root.data('save-url').replace('987654321', String(id));
      JMForm.postJSON(address, {owners: owners}).done(function (answer) {
        $.each(houses, function (i, h) { if (h.house_id === id) { h.owners = answer.owners; } });
        $dialog.find('tr.jm-house-row[data-id="' + id + '"] .jm-owner-names').text(
          $.map(answer.owners, function (o) { return o.name; }).join('、'));
        $cell.find('.jm-o-message').html('<span class="text-success">' + esc(text('saved')) + '</span>');
        render();
      }).fail(function (xhr) {
        // Problems come back per owner row (1-based): number the rows so their inputs get marked.
        $cell.find('tr.jm-owner').each(function (i) { $(this).attr('data-row', i + 1); });
        JMForm.showError($cell.find('.jm-o-message'), xhr, $cell);
      });
    });
    $('#jm-print').on('click', function () {
      var $button = $(this).prop('disabled', true);
      JMForm.postJSON($root.data('issue-url'), {area_id: areaId(), house_ids: $.map(houses, function (h) { return h.house_id; })})
        .done(function (answer) { $dialog.modal('hide'); showIssued(answer); })
        .fail(function (xhr) { JMForm.showError('#jm-dialog-message', xhr); })
        .always(function () { $button.prop('disabled', false); });
    });
    render();
  }

  /* ------------------------------------------------------------------ §1.4.3 custom */

  function customPage($root) {
    var houses = [];
    var amounts = {};

    function renew() { return $('#jm-type').val() === 'renew'; }

    function load(ids) {
      return JMForm.postJSON($root.data('houses-url'), {area_id: areaId(), house_ids: ids})
        .done(function (answer) { houses = answer.houses; render(); })
        .fail(function (xhr) { JMForm.showError('#jm-message', xhr); });
    }

    function render() {
      $('.jm-renew-tools').toggle(renew());
      if (!houses.length) { emptyRow($('#jm-houses')); }
      else {
        $('#jm-houses tbody').html($.map(houses, function (h) {
          var amount = renew() ? (amounts[h.house_id] || '') : h.outstanding;
          return '<tr data-id="' + h.house_id + '"><td>' + esc(h.house_code) + '</td><td>' + esc(h.location) +
            '</td><td class="text-right">' + esc(money(h.amount_due)) + '</td><td class="text-right">' + esc(money(h.paid)) +
            '</td><td class="text-right jm-amount">' + (amount ? esc(money(amount)) : '<span class="text-danger">—</span>') +
            '</td><td><a href="#" class="jm-remove">' + esc(text('remove')) + '</a></td></tr>';
        }).join(''));
      }
      $('#jm-print').prop('disabled', !houses.length);
    }

    function ids() { return $.map(houses, function (h) { return h.house_id; }); }

    $('#jm-type').on('change', function () { render(); });
    $('#jm-area').on('change', function () { houses = []; amounts = {}; render(); $('#jm-result').empty(); });
    $('#jm-pick-houses').on('click', function () {
      if (!requireArea()) { return; }
      HousePicker.open({areaId: areaId(), mode: 'houses',
        selectable: renew() ? ['unpaid', 'partly_paid', 'paid'] : ['unpaid', 'partly_paid'],
        selected: ids(), onConfirm: function (picked) { load(picked); }});
    });
    $('#jm-houses').on('click', '.jm-remove', function (e) {
      e.preventDefault();
      var id = $(this).closest('tr').data('id');
      houses = $.grep(houses, function (h) { return h.house_id !== id; });
      render();
    });
    $('#jm-export').on('click', function () {
      if (!houses.length) { JMForm.showMessage('#jm-message', 'warning', esc(text('choose_houses'))); return; }
      JMForm.download($root.data('export-url'), {area_id: areaId(), house_ids: ids()})
        .catch(function (error) { JMForm.showError('#jm-message', error); });
    });
    $('#jm-import-file').on('change', function () {
      var file = this.files[0];
      if (!file || !requireArea()) { return; }
      var form = new FormData();
      form.append('area_id', areaId());
      form.append('file', file);
      this.value = '';
      JMForm.postForm($root.data('import-url'), form).done(function (answer) {
        amounts = answer.amounts;
        houses = answer.houses;
        render();
        JMForm.showMessage('#jm-message', 'success', esc(text('imported', {count: houses.length})));
      }).fail(function (xhr) { JMForm.showError('#jm-message', xhr); });
    });
    $('#jm-print').on('click', function () {
      if (renew() && $.grep(houses, function (h) { return !amounts[h.house_id]; }).length) {
        JMForm.showMessage('#jm-message', 'warning', esc(text('amount_missing')));
        return;
      }
      var body = {area_id: areaId(), payment_type: $('#jm-type').val(), house_ids: ids()};
      if (renew()) { body.amounts = amounts; }
      busy($('#jm-print'), true);
      JMForm.postJSON($root.data('issue-url'), body)
        .done(function (answer) { $('#jm-message').empty(); showIssued(answer); })
        .fail(function (xhr) { JMForm.showError('#jm-message', xhr); })
        .always(function () { $('#jm-print').prop('disabled', false); });
    });
    render();
  }

  /* ------------------------------------------------------------------ notice page */

  function noticePage($root) {
    $('#jm-reissue').on('click', function () {
      JMForm.postJSON($root.data('reissue-url'), {}).done(function (answer) {
        JMForm.showMessage('#jm-message', 'success', esc(text('reissued', {number: answer.notices[0].number})) +
          ' <a target="_blank" class="btn btn-success btn-xs" href="' + esc(answer.print_url) + '">' + esc(text('open_pdf')) + '</a>');
        $('#jm-reissue, #jm-void').remove();
      }).fail(function (xhr) { JMForm.showError('#jm-message', xhr); });
    });
    $('#jm-void').on('click', function () {
      if (!window.confirm(text('confirm_void'))) { return; }
      JMForm.postJSON($root.data('void-url'), {}).done(function () { window.location.reload(); })
        .fail(function (xhr) { JMForm.showError('#jm-message', xhr); });
    });
  }

  window.JMPayments = {text: text, areaId: areaId, requireArea: requireArea};

  $(function () {
    var pages = {batch: batchPage, owners: ownersPage, custom: customPage, notice: noticePage};
    $('[data-page]').each(function () {
      var start = pages[$(this).data('page')];
      if (start) { start($(this)); }
    });
  });
}(window, jQuery));
