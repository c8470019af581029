//! Eligibility rules: JSONLogic compiled once into a typed tree.

pub(crate) mod jsnum;
