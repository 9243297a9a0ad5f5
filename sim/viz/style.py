"""The dashboard's presentation layout: one style sheet for a page that fills the window at any size.

Core object:
    * :data:`PAGE_CSS` - a top bar, a side panel (guide, what to show, settings) and a grid of
      three by two panels (maps, charts, look inside) filling the rest of the window, so the
      guide, the maps and the charts are all on screen without scrolling at 1280x800 and grow
      with the window (text sizes follow its width: at least 14 px).
"""

__all__ = ["PAGE_CSS"]

PAGE_CSS = """
.o2o-page { position: fixed; inset: 0; display: grid; grid-template-rows: auto minmax(0, 1fr);
  background: #eef1f4; color: #1d2327; font-size: clamp(14px, 1.05vw, 20px); z-index: 5; }
.o2o-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5em 0.8em; padding: 0.35em 0.9em;
  background: #263238; color: #fff; }
.o2o-status { display: flex; align-items: center; gap: 0.5em 0.8em; }
.o2o-bar .o2o-brand { font-weight: 700; font-size: 1.1em; margin-right: 0.4em; }
.o2o-bar .v-btn { font-size: 0.9em !important; }
.o2o-bar .o2o-day { font-weight: 700; font-size: 1.1em; min-width: 7.5em; }
.o2o-bar .o2o-lesson { max-width: 16em; }
@media (max-width: 1500px) { .o2o-bar .o2o-brand { display: none; } }
.o2o-bar .o2o-lesson .v-select__selection, .o2o-bar .o2o-lesson label { color: #fff !important;
  font-size: 1em !important; }
.o2o-bar .o2o-lesson .v-input__slot { margin-bottom: 0 !important; }
.o2o-bar .o2o-lesson .v-text-field__details { display: none; }
.o2o-pending { background: #ffb300; color: #1d2327; font-weight: 700; border-radius: 1em;
  padding: 0.15em 0.8em; }
.o2o-finished { background: #66bb6a; color: #10240f; font-weight: 700; border-radius: 1em;
  padding: 0.15em 0.8em; }
.o2o-main { display: grid; grid-template-columns: minmax(270px, 24%) minmax(0, 1fr); min-height: 0; }
.o2o-side { overflow-y: auto; padding: 0.5em 0.8em; background: #fff; border-right: 1px solid #d5dbe0; }
.o2o-side h2 { font-size: 1.15em; margin: 0.1em 0 0.3em 0; }
.o2o-side h3 { font-size: 1em; margin: 0.7em 0 0.2em 0; }
.o2o-side p { margin: 0 0 0.45em 0; line-height: 1.3; }
.o2o-question { background: #fff8e1; border-left: 4px solid #ffb300; padding: 0.3em 0.5em; }
.o2o-steps, .o2o-legend, .o2o-inforce { color: #455a64; font-size: 0.9em; line-height: 1.3; }
.o2o-side .v-input, .o2o-side .v-label, .o2o-side .v-btn { font-size: 0.95em !important; }
.o2o-side .v-input--selection-controls { margin-top: 0 !important; padding-top: 0 !important; }
.o2o-side .v-messages { display: none; }
.o2o-side .v-input__slot { margin-bottom: 0 !important; }
.o2o-control-label { margin-top: 0.3em; }
.o2o-control-label b { color: #0d47a1; }
.o2o-controls, .o2o-checks, .o2o-options { display: grid; grid-template-columns: 1fr 1fr; column-gap: 0.9em; }
.o2o-options { column-gap: 0.6em; margin-top: 0.4em; }
.o2o-view { margin-top: 0.2em; }
.o2o-view .v-btn { text-transform: none; letter-spacing: 0; }
.o2o-panels { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr));
  grid-template-rows: repeat(2, minmax(0, 1fr)); gap: 0.45em; padding: 0.45em; min-height: 0; }
.o2o-cell { background: #fff; border: 1px solid #d5dbe0; border-radius: 6px; display: flex;
  flex-direction: column; min-height: 0; min-width: 0; overflow: hidden; }
.o2o-cell.o2o-wide { grid-column: span 2; }
.o2o-cell-head { font-weight: 700; padding: 0.15em 0.5em; border-bottom: 3px solid #ccc; line-height: 1.25; }
.o2o-cell-body { flex: 1 1 auto; min-height: 0; position: relative; }
.o2o-cell-body > div { position: absolute; inset: 0; }
.o2o-inside { padding: 0.3em 0.6em; overflow-y: auto; }
.o2o-inside ul { margin: 0.2em 0; padding-left: 1.1em; }
.o2o-inside table { border-collapse: collapse; width: 100%; }
.o2o-inside td, .o2o-inside th { padding: 0.1em 0.3em; text-align: right; border-bottom: 1px solid #eee; }
.o2o-hint { color: #37474f; }
.o2o-hint p { margin: 0.4em 0; }
"""
