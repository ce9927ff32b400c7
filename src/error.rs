//! The one error type of facegate, with stable codes shared with the JavaScript layer.

use std::fmt;

/// Everything that can go wrong between pixels and a decision.
///
/// Every public entry point returns this instead of panicking; [`Error::code`] gives a
/// stable, machine-readable code (the same strings the browser layer throws).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The frame holds no face the detector accepts.
    #[error("no face found")]
    NoFace,
    /// Exactly one face was required, more were found.
    #[error("{count} faces found where exactly one is required")]
    MultipleFaces {
        /// How many faces were found.
        count: usize,
    },
    /// A face was found but is smaller than the configured minimum.
    #[error("the face is {size} px wide, below the minimum of {min} px")]
    FaceTooSmall {
        /// Width of the largest face found, in frame pixels.
        size: u32,
        /// The configured minimum width.
        min: u32,
    },
    /// The pixels or encoded bytes do not describe a usable image.
    #[error("invalid frame: {reason}")]
    InvalidFrame {
        /// What is wrong with it.
        reason: String,
    },
    /// A model failed to load or to run.
    #[error("model {name}: {reason}")]
    Model {
        /// Which model.
        name: &'static str,
        /// What tract said.
        reason: String,
    },
    /// No identity with that id is enrolled.
    #[error("unknown identity {0:?}")]
    UnknownIdentity(String),
    /// Templates were made by another embedding model and cannot be compared.
    #[error("templates were made by model {found}, this build uses {expected}")]
    ModelMismatch {
        /// SHA-256 of the model in use.
        expected: String,
        /// SHA-256 recorded with the templates.
        found: String,
    },
    /// A serialised template or gallery could not be read.
    #[error("invalid template: {0}")]
    InvalidTemplate(String),
    /// An argument is outside its allowed range (an empty id, zero shots, k = 0, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A new shot does not show the person already enrolled under that id (template poisoning
    /// is refused).
    #[error("the face does not match the person enrolled as {0:?}")]
    Mismatch(String),
    /// A size limit was reached: id length, shots per id or ids per gallery.
    #[error("limit: {0}")]
    Limit(String),
    /// The store failed to read or write (a write that reports this did not happen).
    #[error("storage: {0}")]
    Storage(String),
    /// The caller cancelled the operation (an `AbortSignal`); nothing was decided or counted.
    #[error("aborted: {0}")]
    Aborted(String),
    /// Too many failed attempts: the id (or sign-in by identification) is locked for a while.
    #[error("{} is locked after repeated failed attempts; retry in {retry_after_ms} ms", locked_what(.id))]
    Locked {
        /// The locked id.
        id: String,
        /// Milliseconds until the lock ends.
        retry_after_ms: u64,
    },
}

/// What a lock is on: an id, or sign-in by identification (the empty key).
fn locked_what(id: &str) -> String {
    match id {
        "" => "sign-in by identification".into(),
        id => format!("{id:?}"),
    }
}

impl Error {
    /// Stable code for programmatic handling (`NO_FACE`, `MULTIPLE_FACES`, ...).
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::NoFace => ErrorCode::NoFace,
            Error::MultipleFaces { .. } => ErrorCode::MultipleFaces,
            Error::FaceTooSmall { .. } => ErrorCode::FaceTooSmall,
            Error::InvalidFrame { .. } => ErrorCode::InvalidFrame,
            Error::Model { .. } => ErrorCode::Model,
            Error::UnknownIdentity(_) => ErrorCode::UnknownId,
            Error::ModelMismatch { .. } => ErrorCode::ModelMismatch,
            Error::InvalidTemplate(_) => ErrorCode::InvalidTemplate,
            Error::InvalidArgument(_) => ErrorCode::InvalidArgument,
            Error::Mismatch(_) => ErrorCode::Mismatch,
            Error::Limit(_) => ErrorCode::Limit,
            Error::Storage(_) => ErrorCode::Storage,
            Error::Locked { .. } => ErrorCode::Locked,
            Error::Aborted(_) => ErrorCode::Aborted,
        }
    }

    pub(crate) fn invalid_frame(reason: impl Into<String>) -> Self {
        Error::InvalidFrame { reason: reason.into() }
    }

    pub(crate) fn model(name: &'static str, err: impl fmt::Display) -> Self {
        Error::Model { name, reason: format!("{err:#}") }
    }
}

/// The stable error codes, as strings via [`ErrorCode::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `NO_FACE`
    NoFace,
    /// `MULTIPLE_FACES`
    MultipleFaces,
    /// `FACE_TOO_SMALL`
    FaceTooSmall,
    /// `INVALID_FRAME`
    InvalidFrame,
    /// `MODEL`
    Model,
    /// `UNKNOWN_ID`
    UnknownId,
    /// `MODEL_MISMATCH`
    ModelMismatch,
    /// `INVALID_TEMPLATE`
    InvalidTemplate,
    /// `INVALID_ARGUMENT`
    InvalidArgument,
    /// `MISMATCH`
    Mismatch,
    /// `LIMIT`
    Limit,
    /// `STORAGE`
    Storage,
    /// `CAMERA`: thrown by the browser layer's `Camera` (src/web/), with no [`Error`] variant,
    /// when the camera cannot be opened or read.
    Camera,
    /// `LOCKED`
    Locked,
    /// `ABORTED`
    Aborted,
    /// `LOAD`: thrown by the package's JavaScript entry (`www/entry.js`), never by the module, when
    /// the wasm cannot be fetched.
    Load,
}

impl ErrorCode {
    /// Every code: the one list the TypeScript `ErrorCode` union and the README are tested against.
    pub const ALL: [ErrorCode; 16] = [
        ErrorCode::NoFace,
        ErrorCode::MultipleFaces,
        ErrorCode::FaceTooSmall,
        ErrorCode::InvalidFrame,
        ErrorCode::Model,
        ErrorCode::UnknownId,
        ErrorCode::ModelMismatch,
        ErrorCode::InvalidTemplate,
        ErrorCode::InvalidArgument,
        ErrorCode::Mismatch,
        ErrorCode::Limit,
        ErrorCode::Storage,
        ErrorCode::Camera,
        ErrorCode::Locked,
        ErrorCode::Aborted,
        ErrorCode::Load,
    ];

    /// The code as the string the JavaScript layer throws.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NoFace => "NO_FACE",
            ErrorCode::MultipleFaces => "MULTIPLE_FACES",
            ErrorCode::FaceTooSmall => "FACE_TOO_SMALL",
            ErrorCode::InvalidFrame => "INVALID_FRAME",
            ErrorCode::Model => "MODEL",
            ErrorCode::UnknownId => "UNKNOWN_ID",
            ErrorCode::ModelMismatch => "MODEL_MISMATCH",
            ErrorCode::InvalidTemplate => "INVALID_TEMPLATE",
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::Mismatch => "MISMATCH",
            ErrorCode::Limit => "LIMIT",
            ErrorCode::Storage => "STORAGE",
            ErrorCode::Camera => "CAMERA",
            ErrorCode::Locked => "LOCKED",
            ErrorCode::Aborted => "ABORTED",
            ErrorCode::Load => "LOAD",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Result with facegate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    /// The quoted codes of a text, in order.
    fn quoted(text: &str, quote: char) -> Vec<&str> {
        text.split(quote).skip(1).step_by(2).filter(|s| s.chars().all(|c| c.is_ascii_uppercase() || c == '_')).collect()
    }

    #[test]
    fn typescript_union_and_readme_list_every_code() {
        let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        let ts = include_str!("web/types.d.ts");
        let union = &ts[ts.find("export type ErrorCode =").expect("ErrorCode union in types.d.ts")..];
        assert_eq!(quoted(&union[..union.find(';').unwrap()], '"'), all, "src/web/types.d.ts");
        let readme = include_str!("../README.md");
        let line = readme
            .lines()
            .find(|l| l.trim_start().starts_with("Error codes:"))
            .expect("an `Error codes:` line in README.md");
        assert_eq!(quoted(line, '`'), all, "README.md");
    }
}
