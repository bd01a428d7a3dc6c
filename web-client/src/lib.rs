//! hosync-core for the browser.
