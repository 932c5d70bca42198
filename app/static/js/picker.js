/*
 * The house picker (楼盘表) and small helpers for the business pages that use it.
 *
 *   HousePicker.open({areaId: 3, mode: 'houses', selectable: ['unpaid', 'partly_paid'],
 *                     selected: [12, 13], onConfirm: function (ids, houses) { ... }});
 *   HousePicker.open({areaId: 3, mode: 'buildings', onConfirm: function (ids, buildings) { ... }});
 *
 *   JMForm.postJSON(url, body) -> jQuery promise of the JSON answer (CSRF header included)
 *   JMForm.showError(target, xhr) shows a domain error's message and problems in target.
 *
 * Needs jQuery and Bootstrap 3 (both served by Flask-AppBuilder) and the markup of
 * templates/picker/picker.html. See templates/picker/README.md.
 */
(function (window, $) {
  'use strict';

  var DEFAULT_SELECTABLE = ['not_opened', 'unpaid', 'partly_paid', 'paid'];
  var state = null;
  var cache = {};
  var dragging = null;

  function root() { return $('#hp-modal'); }

  function strings() {
    if (!strings.value) {
      var node = document.getElementById('hp-i18n');
      strings.value = node ? JSON.parse(node.textContent) : {};
    }
    return strings.value;
  }

  function t(key, params) {
    var text = strings()[key] || key;
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

  function url(kind, id) {
    return root().data(kind + '-url').replace('987654321', String(id));
  }

  function toHouses(data, building) {
    var columns = data.columns;
    return $.map(data.houses, function (row) {
      var house = {building: building.name, buildingId: building.id};
      for (var i = 0; i < columns.length; i += 1) { house[columns[i]] = row[i]; }
      return house;
    });
  }

  function selectable(house) {
    var rule = state.opts.selectable || DEFAULT_SELECTABLE;
    if (typeof rule === 'function') { return !!rule(house); }
    return $.inArray(house.state, rule) >= 0;
  }

  function compareKeys(a, b) {
    var x = parseFloat(a), y = parseFloat(b);
    if (!isNaN(x) && !isNaN(y) && String(x) === String(a).replace(/^0+(?=\d)/, '') &&
        String(y) === String(b).replace(/^0+(?=\d)/, '') && x !== y) { return x - y; }
    return a < b ? -1 : (a > b ? 1 : 0);
  }

  /* ------------------------------------------------------------------ buildings */

  function loadBuildings() {
    var $list = root().find('.hp-buildings').html('<p class="text-muted">' + esc(t('loading')) + '</p>');
    return $.getJSON(url('buildings', state.opts.areaId)).done(function (data) {
      state.buildings = data.buildings;
      root().find('.hp-area-name').text(data.area.name);
      renderBuildings();
      if (state.buildings.length) { openBuilding(state.buildings[0].id); }
    }).fail(function (xhr) { JMForm.showError($list, xhr); });
  }

  function renderBuildings() {
    var modeBuildings = state.opts.mode === 'buildings';
    var html = $.map(state.buildings, function (b) {
      var active = b.id === state.buildingId ? ' active' : '';
      var check = modeBuildings
        ? '<input type="checkbox" class="hp-building-check" value="' + b.id + '"' +
          (state.chosen[b.id] ? ' checked' : '') + '> '
        : '';
      return '<a href="#" class="list-group-item hp-building' + active + '" data-id="' + b.id + '">' +
        check + '<b>' + esc(b.name) + '</b><br><small class="text-muted">' +
        esc(t('building_counts', {houses: b.houses, unpaid: b.unpaid, contracts: b.contracts})) +
        '</small></a>';
    }).join('');
    root().find('.hp-buildings').html('<div class="list-group">' + html + '</div>');
  }

  function openBuilding(id) {
    state.buildingId = id;
    renderBuildings();
    var building = $.grep(state.buildings, function (b) { return b.id === id; })[0];
    var $panel = root().find('.hp-houses');
    $panel.scrollTop(0);
    if (cache[id]) {
      state.houses = cache[id];
      render();
      return $.Deferred().resolve().promise();
    }
    $panel.html('<p class="text-muted">' + esc(t('loading')) + '</p>');
    return $.getJSON(url('houses', id)).done(function (data) {
      cache[id] = toHouses(data, building);
      $.each(cache[id], function (i, house) {
        if (state.selected[house.id]) { state.selected[house.id] = house; }
      });
      if (state.buildingId === id) {
        state.houses = cache[id];
        render();
      }
    }).fail(function (xhr) { JMForm.showError($panel, xhr); });
  }

  /* ------------------------------------------------------------------ grid */

  function cellClass(house) {
    var names = ['hp-cell', 'hp-s-' + house.state];
    if (house.contract) { names.push('hp-contract'); }
    if (house.notice) { names.push('hp-notice'); }
    if (state.selected[house.id]) { names.push('hp-sel'); }
    if (!selectable(house) || state.opts.mode === 'buildings') { names.push('hp-off'); }
    return names.join(' ');
  }

  function cellTitle(house) {
    var lines = [house.code, t('state_' + house.state),
      t('due_paid', {due: money(house.due), paid: money(house.paid)})];
    if (house.owner) { lines.push(t('owner', {name: house.owner + (house.owners > 1 ? ' …' : '')})); }
    if (house.contract) { lines.push(t('contract', {no: house.contract})); }
    if (house.notice) { lines.push(t('notice', {no: house.notice})); }
    return lines.join('\n');
  }

  function renderGrid() {
    var units = {}, order = [];
    $.each(state.houses, function (index, house) {
      var key = house.unit || '';
      if (!units[key]) { units[key] = {floors: {}, cols: {}, cells: {}}; order.push(key); }
      var unit = units[key];
      unit.floors[house.floor] = true;
      unit.cols[house.col] = true;
      unit.cells[house.floor + '|' + house.col] = index;
    });
    order.sort(compareKeys);
    var html = $.map(order, function (key) {
      var unit = units[key];
      var floors = $.map(unit.floors, function (v, f) { return parseInt(f, 10); })
        .sort(function (a, b) { return b - a; });
      var cols = $.map(unit.cols, function (v, c) { return c; }).sort(compareKeys);
      var head = '<tr><th class="hp-unit" data-unit="' + esc(key) + '" title="' +
        esc(t('select_unit')) + '">' + esc(key ? t('unit', {unit: key}) : t('no_unit')) + '</th>' +
        $.map(cols, function (c) { return '<th>' + esc(c) + '</th>'; }).join('') + '</tr>';
      var body = $.map(floors, function (floor) {
        var cells = $.map(cols, function (c) {
          var index = unit.cells[floor + '|' + c];
          if (index === undefined) { return '<td class="hp-empty"></td>'; }
          var house = state.houses[index];
          return '<td class="' + cellClass(house) + '" data-i="' + index + '" title="' +
            esc(cellTitle(house)) + '">' + esc(house.room) +
            (house.owner ? '<small>' + esc(house.owner) + '</small>' : '') + '</td>';
        }).join('');
        return '<tr><th class="hp-floor" data-unit="' + esc(key) + '" data-floor="' + floor +
          '" title="' + esc(t('select_floor')) + '">' + esc(t('floor', {floor: floor})) + '</th>' +
          cells + '</tr>';
      }).join('');
      return '<table class="hp-grid"><thead>' + head + '</thead><tbody>' + body + '</tbody></table>';
    }).join('');
    root().find('.hp-houses').html(html || '<p class="text-muted">' + esc(t('no_houses')) + '</p>');
  }

  /* ------------------------------------------------------------------ list */

  function matches(house, words, wanted) {
    if (wanted && house.state !== wanted) { return false; }
    if (!words) { return true; }
    var hay = [house.code, house.room, house.unit, house.owner, house.contract, house.notice,
      t('state_' + house.state)].join(' ').toLowerCase();
    return $.grep(words.split(/\s+/), function (w) { return w && hay.indexOf(w) < 0; }).length === 0;
  }

  function visibleIndexes() {
    var words = $.trim(root().find('.hp-search').val() || '').toLowerCase();
    var wanted = root().find('.hp-state-filter').val();
    var out = [];
    $.each(state.houses, function (i, house) { if (matches(house, words, wanted)) { out.push(i); } });
    return out;
  }

  function renderList() {
    var rows = $.map(visibleIndexes(), function (i) {
      var house = state.houses[i];
      var off = !selectable(house) || state.opts.mode === 'buildings';
      return '<tr data-i="' + i + '" class="' + (state.selected[house.id] ? 'info' : '') + '">' +
        '<td><input type="checkbox" class="hp-row-check" data-i="' + i + '"' +
        (state.selected[house.id] ? ' checked' : '') + (off ? ' disabled' : '') + '></td>' +
        '<td>' + esc(house.code) + '</td><td>' + esc(house.unit) + '</td><td>' + esc(house.floor) +
        '</td><td>' + esc(house.room) + '</td><td>' + esc(house.owner) + '</td>' +
        '<td><span class="hp-badge hp-s-' + house.state + '">' + esc(t('state_' + house.state)) +
        '</span></td><td class="text-right">' + esc(money(house.due)) + '</td><td class="text-right">' +
        esc(money(house.paid)) + '</td><td>' + esc(house.contract) + '</td></tr>';
    }).join('');
    root().find('.hp-houses').html(
      '<table class="table table-condensed table-hover hp-list"><thead><tr>' +
      '<th><input type="checkbox" class="hp-all-check" title="' + esc(t('select_visible')) + '"></th>' +
      '<th>' + esc(t('col_code')) + '</th><th>' + esc(t('col_unit')) + '</th><th>' +
      esc(t('col_floor')) + '</th><th>' + esc(t('col_room')) + '</th><th>' + esc(t('col_owner')) +
      '</th><th>' + esc(t('col_state')) + '</th><th class="text-right">' + esc(t('col_due')) +
      '</th><th class="text-right">' + esc(t('col_paid')) + '</th><th>' + esc(t('col_contract')) +
      '</th></tr></thead><tbody>' + (rows || '') + '</tbody></table>');
  }

  function render() {
    root().find('.hp-list-tools').toggle(state.view === 'list');
    root().find('.hp-view').removeClass('active')
      .filter('[data-view="' + state.view + '"]').addClass('active');
    if (state.view === 'list') { renderList(); } else { renderGrid(); }
    updateCount();
  }

  /* ------------------------------------------------------------------ selection */

  function setSelected(house, on) {
    if (!selectable(house)) { return; }
    if (on) { state.selected[house.id] = house; } else { delete state.selected[house.id]; }
  }

  function refreshCell(index) {
    var house = state.houses[index];
    root().find('.hp-grid td[data-i="' + index + '"]').attr('class', cellClass(house));
    var $row = root().find('.hp-list tr[data-i="' + index + '"]');
    $row.toggleClass('info', !!state.selected[house.id]);
    $row.find('.hp-row-check').prop('checked', !!state.selected[house.id]);
  }

  function setMany(indexes) {
    var pickable = $.grep(indexes, function (i) { return selectable(state.houses[i]); });
    var all = pickable.length > 0 && $.grep(pickable, function (i) {
      return !state.selected[state.houses[i].id];
    }).length === 0;
    $.each(pickable, function (n, i) { setSelected(state.houses[i], !all); refreshCell(i); });
    updateCount();
  }

  function count() {
    if (state.opts.mode === 'buildings') {
      return $.map(state.chosen, function () { return 1; }).length;
    }
    return $.map(state.selected, function () { return 1; }).length;
  }

  function updateCount() {
    root().find('.hp-count').text(t(state.opts.mode === 'buildings' ? 'chosen_buildings' : 'selected',
      {count: count()}));
  }

  function confirm() {
    var opts = state.opts;
    var ids, items;
    if (opts.mode === 'buildings') {
      items = $.grep(state.buildings, function (b) { return state.chosen[b.id]; });
    } else {
      items = $.map(state.selected, function (house) { return house; });
      items.sort(function (a, b) { return a.id - b.id; });
    }
    ids = $.map(items, function (item) { return item.id; });
    root().modal('hide');
    if (opts.onConfirm) { opts.onConfirm(ids, items); }
  }

  /* ------------------------------------------------------------------ events */

  function bind() {
    var $m = root();
    if ($m.data('hp-bound')) { return; }
    $m.data('hp-bound', true);
    $m.on('click', '.hp-building', function (e) {
      if ($(e.target).is('.hp-building-check')) { return; }
      e.preventDefault();
      openBuilding($(this).data('id'));
    });
    $m.on('change', '.hp-building-check', function () {
      var id = parseInt(this.value, 10);
      if (this.checked) { state.chosen[id] = true; } else { delete state.chosen[id]; }
      updateCount();
    });
    $m.on('click', '.hp-view', function (e) {
      e.preventDefault();
      state.view = $(this).data('view');
      render();
      $m.find('.hp-houses').scrollTop(0);
    });
    $m.on('input', '.hp-search', function () { renderList(); updateCount(); });
    $m.on('change', '.hp-state-filter', function () { renderList(); });
    $m.on('mousedown', '.hp-grid td.hp-cell', function (e) {
      if (e.which !== 1) { return; }
      e.preventDefault();
      var index = $(this).data('i');
      var house = state.houses[index];
      if (!selectable(house) || state.opts.mode === 'buildings') { return; }
      dragging = {on: !state.selected[house.id]};
      setSelected(house, dragging.on);
      refreshCell(index);
      updateCount();
    });
    $m.on('mouseenter', '.hp-grid td.hp-cell', function () {
      if (!dragging) { return; }
      var index = $(this).data('i');
      setSelected(state.houses[index], dragging.on);
      refreshCell(index);
      updateCount();
    });
    $(document).on('mouseup', function () { dragging = null; });
    $m.on('click', '.hp-floor', function () {
      var unit = String($(this).data('unit')), floor = parseInt($(this).data('floor'), 10);
      setMany($.grep($.map(state.houses, function (h, i) { return i; }), function (i) {
        var h = state.houses[i];
        return String(h.unit || '') === unit && h.floor === floor;
      }));
    });
    $m.on('click', '.hp-unit', function () {
      var unit = String($(this).data('unit'));
      setMany($.grep($.map(state.houses, function (h, i) { return i; }), function (i) {
        return String(state.houses[i].unit || '') === unit;
      }));
    });
    $m.on('change', '.hp-row-check', function () {
      var index = $(this).data('i');
      setSelected(state.houses[index], this.checked);
      refreshCell(index);
      updateCount();
    });
    $m.on('change', '.hp-all-check', function () {
      var on = this.checked;
      $.each(visibleIndexes(), function (n, i) { setSelected(state.houses[i], on); refreshCell(i); });
      updateCount();
    });
    $m.on('click', '.hp-select-building', function (e) {
      e.preventDefault();
      setMany($.map(state.houses || [], function (h, i) { return i; }));
    });
    $m.on('click', '.hp-clear', function (e) {
      e.preventDefault();
      state.selected = {};
      state.chosen = {};
      renderBuildings();
      render();
    });
    $m.on('click', '.hp-confirm', function (e) { e.preventDefault(); confirm(); });
  }

  var HousePicker = {
    /** Open the dialog; see the file header for the options. */
    open: function (opts) {
      if (!opts || !opts.areaId) { throw new Error('HousePicker.open needs areaId'); }
      state = {opts: $.extend({mode: 'houses'}, opts), buildings: [], houses: [], buildingId: null,
        selected: {}, chosen: {}, view: 'grid'};
      $.each(opts.selectedHouses || [], function (i, house) { state.selected[house.id] = house; });
      $.each(opts.selected || [], function (i, id) {
        if (opts.mode === 'buildings') { state.chosen[id] = true; }
        else if (!state.selected[id]) { state.selected[id] = {id: id}; }
      });
      cache = {};
      bind();
      var $m = root();
      $m.find('.hp-title').text(opts.title || t(state.opts.mode === 'buildings' ? 'title_buildings' : 'title_houses'));
      $m.find('.hp-search').val('');
      $m.find('.hp-state-filter').val('');
      $m.find('.hp-select-building').toggle(state.opts.mode !== 'buildings');
      $m.find('.hp-houses').empty();
      updateCount();
      $m.modal('show');
      return loadBuildings();
    },
    /** The label of a house state, in the page's language. */
    stateLabel: function (name) { return t('state_' + name); },
    /** Forget cached buildings, e.g. after a change that alters states. */
    reset: function () { cache = {}; }
  };

  var JMForm = {
    csrf: function () { return $('meta[name="csrf-token"]').attr('content') || ''; },
    postJSON: function (address, body) {
      return $.ajax({url: address, method: 'POST', data: JSON.stringify(body || {}),
        contentType: 'application/json', dataType: 'json',
        headers: {'X-CSRFToken': JMForm.csrf()}});
    },
    postForm: function (address, formData) {
      formData.append('csrf_token', JMForm.csrf());
      return $.ajax({url: address, method: 'POST', data: formData, processData: false,
        contentType: false, dataType: 'json', headers: {'X-CSRFToken': JMForm.csrf()}});
    },
    /** POST JSON and save the answer (an .xlsx or .pdf) under the server's file name. */
    download: function (address, body) {
      return fetch(address, {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-CSRFToken': JMForm.csrf()},
        body: JSON.stringify(body || {})}).then(function (response) {
        if (!response.ok) {
          return response.json().then(function (data) { throw data; });
        }
        var name = JMForm.filename(response.headers.get('Content-Disposition'));
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
     * The file name of a Content-Disposition header: the RFC 5987 ``filename*`` (UTF-8, the real
     * Chinese name) when present, else the plain ``filename`` (an ASCII fallback); null if none.
     */
    filename: function (header) {
      if (!header) { return null; }
      var extended = header.match(/filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i);
      if (extended) {
        try { return decodeURIComponent(extended[2].trim().replace(/^"|"$/g, '')); } catch (ignore) { /* fall back */ }
      }
      var plain = header.match(/filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]+)/i);
      if (!plain) { return null; }
      return plain[2] !== undefined ? plain[2].replace(/\\(.)/g, '$1') : plain[1].trim();
    },
    /**
     * Show a domain error (JSON {message, problems}) or a failed request in ``target``: the
     * message, then one list of the problems, each named by its label (never the internal field
     * name), and mark the inputs they are about (``name`` or ``data-field`` equal to the field;
     * with a row, the element inside ``[data-i=row-1]`` or ``[data-row=row]``) with ``has-error``.
     */
    showError: function (target, error, scope) {
      var data = error && error.responseJSON ? error.responseJSON : error;
      var message = (data && data.message) || (error && error.status ? t('request_failed', {status: error.status}) : t('request_failed', {status: ''}));
      var problems = (data && data.problems) || [];
      var items = $.map(problems, function (p) {
        var where = p.row ? t('row', {row: p.row}) + (p.label ? ' ' : ': ') : '';
        return '<li>' + esc(where + (p.label ? p.label + ': ' : '') + p.reason) + '</li>';
      }).join('');
      $(target).html('<div class="alert alert-danger jm-error"><b>' + esc(message) + '</b>' +
        (items ? '<ul>' + items + '</ul>' : '') + '</div>');
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
      $(target).html('<div class="alert alert-' + kind + '">' + html + '</div>');
    },
    esc: esc,
    money: money,
    t: t
  };

  window.HousePicker = HousePicker;
  window.JMForm = JMForm;
}(window, jQuery));
