//! Errors of the compare crate: bad registry files, bad selections, theory failures.

/// What can go wrong before a verdict exists.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A claim file is missing, unreadable or malformed.
    #[error("{0}")]
    Registry(String),
    /// An unknown claim id or profile was asked for.
    #[error("{0}")]
    Selection(String),
    /// A figure could not be drawn or written.
    #[error("figure {0}")]
    Figure(String),
    /// The theory refused an input.
    #[error(transparent)]
    Theory(#[from] theory::Error),
    /// A network run could not be set up.
    #[error(transparent)]
    Network(#[from] nn::Error),
}

pub type Result<T> = std::result::Result<T, Error>;
