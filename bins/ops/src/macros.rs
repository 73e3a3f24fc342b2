//! Printing macros used by every command.

/// `println!` that never panics: a closed stdout (`ops … | head -1`) is ignored, so the exit
/// status stays the one the command's result gives.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write_line(&mut ::std::io::stdout().lock(), format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics on a closed stderr.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::write_line(&mut ::std::io::stderr().lock(), format_args!($($arg)*))
    };
}
