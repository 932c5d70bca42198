/*
 * 房屋合同号设置 (§1.3.9): rows of (house, owner name, ID type, ID number, contract number),
 * edited by double-click or through Excel, matched with the trading system, then submitted.
 * Needs picker.js (HousePicker, JMForm) and payments.js (JMPayments: texts, area choice).
 */
(function (window, $) {
  'use strict';

  var EDITABLE = {owner_name: 'text', id_type: 'select', id_no: 'text', contract_no: 'text'};

  $(function () {
    var $root = $('#jm-contracts');
    if (!$root.length) { return; }
    var text = JMPayments.text;
    var esc = JMForm.esc;
    var idTypes = JSON.parse(document.getElementById('jm-id-types').textContent);
    var typeLabels = {};
    $.each(idTypes, function (i, pair) { typeLabels[pair[0]] = pair[1]; });
    var rows = [];

    function areaId() { return JMPayments.areaId(); }

    function result(row) {
      if (row.bound) { return '<span class="label label-primary">' + esc(text('bound')) + '</span>'; }
      if (row.matched === true) { return '<span class="label label-success">' + esc(text('matched')) + '</span>'; }
      if (row.matched === false) {
        return '<span class="label label-danger">' + esc(text('not_matched')) + '</span> <small class="text-danger">' +
          esc(row.reason || '') + '</small>';
      }
      return '';
    }

    function cell(row, index, field) {
      var shown = field === 'id_type' ? (typeLabels[row.id_type] || row.id_type) : row[field];
      return '<td class="jm-editable" data-i="' + index + '" data-field="' + field + '" title="' +
        esc(text('double_click')) + '">' + esc(shown || '') + '</td>';
    }

    function render() {
      var $body = $('#jm-rows tbody');
      if (!rows.length) {
        $body.html('<tr class="jm-empty"><td colspan="8" class="text-muted">' + esc(text('nothing_picked')) +
          '</td></tr>');
        return;
      }
      $body.html($.map(rows, function (row, i) {
        return '<tr data-i="' + i + '" class="' + (row.matched === false ? 'danger' : (row.matched ? 'success' : '')) + '">' +
          '<td>' + esc(row.house_code) + '</td><td>' + esc(row.location) + '</td>' +
          cell(row, i, 'owner_name') + cell(row, i, 'id_type') + cell(row, i, 'id_no') + cell(row, i, 'contract_no') +
          '<td class="jm-result">' + result(row) + '</td><td><a href="#" class="jm-remove">' + esc(text('remove')) +
          '</a></td></tr>';
      }).join(''));
    }

    function merge(fresh) {
      var known = {};
      $.each(rows, function (i, row) { known[row.house_id] = row; });
      $.each(fresh, function (i, row) { known[row.house_id] = $.extend(known[row.house_id] || {}, row); });
      rows = $.map(known, function (row) { return row; });
      rows.sort(function (a, b) { return a.house_code < b.house_code ? -1 : 1; });
      render();
    }

    function payloadRows() {
      return $.map(rows, function (row) {
        return {house_id: row.house_id, owner_name: row.owner_name, id_type: row.id_type,
          id_no: row.id_no, contract_no: row.contract_no};
      });
    }

    function clearResults() { $.each(rows, function (i, row) { delete row.matched; delete row.reason; }); }

    $('#jm-area').on('change', function () { rows = []; render(); $('#jm-message').empty(); });

    $('#jm-pick-houses').on('click', function () {
      if (!JMPayments.requireArea()) { return; }
      HousePicker.open({areaId: areaId(), mode: 'houses', selectable: ['unpaid', 'partly_paid', 'paid', 'not_opened'],
        selected: $.map(rows, function (r) { return r.house_id; }),
        onConfirm: function (ids) {
          var keep = {};
          $.each(ids, function (i, id) { keep[id] = true; });
          rows = $.grep(rows, function (r) { return keep[r.house_id]; });
          var missing = $.grep(ids, function (id) { return !$.grep(rows, function (r) { return r.house_id === id; }).length; });
          if (!missing.length) { render(); return; }
          JMForm.postJSON($root.data('rows-url'), {area_id: areaId(), house_ids: missing})
            .done(function (answer) { merge(answer.rows); })
            .fail(function (xhr) { JMForm.showError('#jm-message', xhr, '#jm-contracts'); });
        }});
    });

    $('#jm-rows').on('click', '.jm-remove', function (e) {
      e.preventDefault();
      rows.splice($(this).closest('tr').data('i'), 1);
      render();
    });

    $('#jm-rows').on('dblclick', 'td.jm-editable', function () {
      var $td = $(this);
      if ($td.find('input, select').length) { return; }
      var index = $td.data('i'), field = $td.data('field'), row = rows[index];
      var $input;
      if (EDITABLE[field] === 'select') {
        $input = $('<select class="form-control input-sm"></select>').html($.map(idTypes, function (pair) {
          return '<option value="' + esc(pair[0]) + '"' + (pair[0] === row.id_type ? ' selected' : '') + '>' + esc(pair[1]) + '</option>';
        }).join(''));
      } else {
        $input = $('<input type="text" class="form-control input-sm">').val(row[field] || '');
      }
      $td.empty().append($input);
      $input.trigger('focus');
      var done = false;
      function commit(save) {
        if (done) { return; }
        done = true;
        if (save) {
          row[field] = $.trim($input.val());
          delete row.matched;
          delete row.reason;
          row.bound = false;
        }
        render();
      }
      $input.on('keydown', function (e) {
        if (e.key === 'Enter') { e.preventDefault(); commit(true); }
        if (e.key === 'Escape') { commit(false); }
      });
      $input.on('blur change', function (e) { if (e.type === 'blur' || EDITABLE[field] === 'select') { commit(true); } });
    });

    $('#jm-export').on('click', function () {
      if (!rows.length) { JMForm.showMessage('#jm-message', 'warning', esc(text('choose_houses'))); return; }
      JMForm.download($root.data('export-url'), {area_id: areaId(), rows: payloadRows()})
        .catch(function (error) { JMForm.showError('#jm-message', error); });
    });

    $('#jm-import-file').on('change', function () {
      var file = this.files[0];
      if (!file || !JMPayments.requireArea()) { return; }
      var form = new FormData();
      form.append('area_id', areaId());
      form.append('file', file);
      this.value = '';
      JMForm.postForm($root.data('import-url'), form).done(function (answer) {
        clearResults();
        merge(answer.rows);
        $('#jm-message').empty();
      }).fail(function (xhr) { JMForm.showError('#jm-message', xhr, '#jm-contracts'); });
    });

    $('#jm-match').on('click', function () {
      if (!rows.length) { JMForm.showMessage('#jm-message', 'warning', esc(text('choose_houses'))); return; }
      var $button = $(this).prop('disabled', true);
      JMForm.showMessage('#jm-message', 'info', esc(text('working')));
      JMForm.postJSON($root.data('match-url'), {area_id: areaId(), rows: payloadRows()}).done(function (answer) {
        var byHouse = {};
        $.each(answer.rows, function (i, r) { byHouse[r.house_id] = r; });
        var matched = 0;
        $.each(rows, function (i, row) {
          var r = byHouse[row.house_id];
          if (r) { row.matched = r.matched; row.reason = r.reason; if (r.matched) { matched += 1; } }
        });
        render();
        JMForm.showMessage('#jm-message', matched === rows.length ? 'success' : 'warning',
          esc(text('match_summary', {matched: matched, failed: rows.length - matched})));
      }).fail(function (xhr) { JMForm.showError('#jm-message', xhr, '#jm-contracts'); })
        .always(function () { $button.prop('disabled', false); });
    });

    $('#jm-submit').on('click', function () {
      if (!rows.length) { JMForm.showMessage('#jm-message', 'warning', esc(text('choose_houses'))); return; }
      if ($.grep(rows, function (r) { return r.matched === undefined; }).length) {
        JMForm.showMessage('#jm-message', 'warning', esc(text('match_first')));
        return;
      }
      var matched = $.grep(rows, function (r) { return r.matched === true && !r.bound; });
      var unmatched = $.grep(rows, function (r) { return r.matched === false; });
      $('#jm-bind-list').html('<p>' + esc(text('bind_confirm', {bound: matched.length, failed: unmatched.length})) +
        '</p><table class="table table-condensed table-bordered"><thead><tr><th>' + esc(text('location')) + '</th><th>' +
        esc(text('owner_name')) + '</th><th>' + esc(text('contract_no')) + '</th></tr></thead><tbody>' +
        $.map(matched, function (r) {
          return '<tr><td>' + esc(r.location) + '</td><td>' + esc(r.owner_name) + '</td><td>' + esc(r.contract_no) + '</td></tr>';
        }).join('') + '</tbody></table>');
      $('#jm-bind-ok').prop('disabled', !matched.length);
      $('#jm-bind-confirm').modal('show');
    });

    $('#jm-bind-ok').on('click', function () {
      $('#jm-bind-confirm').modal('hide');
      var $button = $('#jm-submit').prop('disabled', true);
      var body = {area_id: areaId(), rows: payloadRows(), confirmed: true, agent: {name: $('#jm-agent-name').val(),
        phone: $('#jm-agent-phone').val(), id_type: $('#jm-agent-id-type').val(), id_no: $('#jm-agent-id-no').val()}};
      JMForm.postJSON($root.data('submit-url'), body).done(function (answer) {
        var byHouse = {};
        $.each(answer.bound, function (i, r) { byHouse[r.house_id] = r; });
        $.each(answer.not_matched, function (i, r) { byHouse[r.house_id] = r; });
        $.each(rows, function (i, row) {
          var r = byHouse[row.house_id];
          if (r) { row.matched = r.matched; row.reason = r.reason; row.bound = r.bound; }
        });
        render();
        HousePicker.reset();
        JMForm.showMessage('#jm-message', 'success',
          esc(text('bind_summary', {bound: answer.bound.length, failed: answer.not_matched.length})));
      }).fail(function (xhr) { JMForm.showError('#jm-message', xhr, '#jm-contracts'); })
        .always(function () { $button.prop('disabled', false); });
    });

    render();
  });
}(window, jQuery));
