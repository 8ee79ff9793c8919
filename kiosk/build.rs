//! Compiles the kiosk's Slint UI (ui/kiosk.slint) into Rust.

fn main() {
    slint_build::compile("ui/kiosk.slint").expect("compile the kiosk UI");
}
