//! A headless Slint platform (the stable `MinimalSoftwareWindow` with the software renderer):
//! the kiosk drawn into memory exactly as on screen, with the embedded fonts. Used by the UI
//! tests and the benchmarks; no display, no event loop.

use std::cell::RefCell;
use std::rc::Rc;

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};

struct HeadlessPlatform {
    window: Rc<MinimalSoftwareWindow>,
}

impl slint::platform::Platform for HeadlessPlatform {
    fn create_window_adapter(
        &self,
    ) -> Result<Rc<dyn slint::platform::WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
}

thread_local! {
    static WINDOW: RefCell<Option<Rc<MinimalSoftwareWindow>>> = const { RefCell::new(None) };
}

/// Makes this thread's Slint platform headless. Once per thread (Slint's rule).
pub fn init() -> Result<(), slint::PlatformError> {
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    WINDOW.with(|w| *w.borrow_mut() = Some(window.clone()));
    slint::platform::set_platform(Box::new(HeadlessPlatform { window }))
        .map_err(|e| slint::PlatformError::Other(e.to_string()))
}

/// Draws the window as it is now into `w`×`h` RGB bytes.
pub fn render(w: u32, h: u32) -> Vec<u8> {
    let window = WINDOW
        .with(|c| c.borrow().clone())
        .expect("headless::init() first");
    let mut buf = vec![slint::Rgb8Pixel::default(); (w * h) as usize];
    window.request_redraw();
    window.draw_if_needed(|r| {
        r.render(&mut buf, w as usize);
    });
    buf.iter().flat_map(|p| [p.r, p.g, p.b]).collect()
}
