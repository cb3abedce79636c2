//! Failed writes to stdout: `print!` panics when stdout is gone (`pdd … | head -1`) or full.
//! A broken pipe means the reader has what it wanted: a quiet exit with status 0. Any other
//! write error is a clear one-line error with status 1, not a panic (status 101).

/// Installs a panic hook that turns `print!`'s "failed printing to stdout" panics into a quiet
/// exit (broken pipe) or a one-line error with status 1 (any other error); every other panic
/// goes to the previous hook.
pub fn quiet_broken_pipe() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        match stdout_failure(msg) {
            Some(Outcome::Quiet) => std::process::exit(0),
            Some(Outcome::Error) => {
                eprintln!("error: {msg}");
                std::process::exit(1)
            }
            None => previous(info),
        }
    }));
}

/// What a panic message means for the exit.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// The reader closed the pipe.
    Quiet,
    /// Another write error.
    Error,
}

fn stdout_failure(msg: &str) -> Option<Outcome> {
    if !msg.starts_with("failed printing to stdout") {
        return None;
    }
    Some(if msg.contains("Broken pipe") { Outcome::Quiet } else { Outcome::Error })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stdout_write_failures_are_taken_over() {
        let bp = "failed printing to stdout: Broken pipe (os error 32)";
        assert_eq!(stdout_failure(bp), Some(Outcome::Quiet));
        let full = "failed printing to stdout: No space left on device (os error 28)";
        assert_eq!(stdout_failure(full), Some(Outcome::Error));
        assert_eq!(stdout_failure("index out of bounds"), None);
    }
}
