"""The main screen's views, one module each; `ui.view_registry` lists them and the main screen
imports each module when its tab is first shown."""
