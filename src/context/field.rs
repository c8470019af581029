//! The checkout attributes a context may carry, named as Rokt's web attribute
//! list names them (lower-case, no separators).

/// One typed checkout attribute. The string form ([`Field::name`]) is what a
/// context JSON document and an eligibility rule (`{"var": "state"}`) use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// Shopper's email address.
    Email,
    /// Lower-case hex SHA-256 of the normalized email.
    EmailSha256,
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Phone number.
    Phone,
    /// Postal code.
    ZipCode,
    /// City.
    City,
    /// State or region code (`CA`).
    State,
    /// ISO 3166 country code (`US`).
    Country,
    /// Cart total (number).
    Amount,
    /// ISO 4217 currency code (`USD`).
    Currency,
    /// Items in the cart (integer).
    Quantity,
    /// Payment type (`visa`, `paypal`…).
    PaymentType,
    /// First digits of the card.
    CcBin,
    /// Order confirmation reference.
    ConfirmationRef,
    /// Language tag (`en-US`).
    Language,
    /// Age in years (integer).
    Age,
    /// Date of birth, `YYYY-MM-DD`.
    Dob,
    /// Gender as the page states it.
    Gender,
    /// Loyalty programme tier.
    LoyaltyTier,
    /// `new` or `returning`.
    CustomerType,
    /// `mobile`, `desktop` or `tablet`.
    Device,
    /// The page / placement the shopper is on.
    Placement,
    /// The cart total as the page formats it for the shopper
    /// (`Intl.NumberFormat`: `"120,00 €"`); plain text, for templates.
    AmountFormatted,
}

impl Field {
    /// Every attribute, in declaration order.
    pub const ALL: [Field; 24] = [
        Field::Email,
        Field::EmailSha256,
        Field::FirstName,
        Field::LastName,
        Field::Phone,
        Field::ZipCode,
        Field::City,
        Field::State,
        Field::Country,
        Field::Amount,
        Field::Currency,
        Field::Quantity,
        Field::PaymentType,
        Field::CcBin,
        Field::ConfirmationRef,
        Field::Language,
        Field::Age,
        Field::Dob,
        Field::Gender,
        Field::LoyaltyTier,
        Field::CustomerType,
        Field::Device,
        Field::Placement,
        Field::AmountFormatted,
    ];

    /// The attribute's name in context JSON and rules, e.g. `"emailsha256"`.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::EmailSha256 => "emailsha256",
            Field::FirstName => "firstname",
            Field::LastName => "lastname",
            Field::Phone => "phone",
            Field::ZipCode => "zipcode",
            Field::City => "city",
            Field::State => "state",
            Field::Country => "country",
            Field::Amount => "amount",
            Field::Currency => "currency",
            Field::Quantity => "quantity",
            Field::PaymentType => "paymenttype",
            Field::CcBin => "ccbin",
            Field::ConfirmationRef => "confirmationref",
            Field::Language => "language",
            Field::Age => "age",
            Field::Dob => "dob",
            Field::Gender => "gender",
            Field::LoyaltyTier => "loyaltytier",
            Field::CustomerType => "customertype",
            Field::Device => "device",
            Field::Placement => "placement",
            Field::AmountFormatted => "amountformatted",
        }
    }

    /// The attribute named `name` (exact, lower-case), if any.
    pub fn from_name(name: &str) -> Option<Field> {
        // A `match`, not a search of `ALL`: every context attribute of every
        // decision is looked up here, and a match compares lengths first.
        Some(match name {
            "email" => Field::Email,
            "emailsha256" => Field::EmailSha256,
            "firstname" => Field::FirstName,
            "lastname" => Field::LastName,
            "phone" => Field::Phone,
            "zipcode" => Field::ZipCode,
            "city" => Field::City,
            "state" => Field::State,
            "country" => Field::Country,
            "amount" => Field::Amount,
            "currency" => Field::Currency,
            "quantity" => Field::Quantity,
            "paymenttype" => Field::PaymentType,
            "ccbin" => Field::CcBin,
            "confirmationref" => Field::ConfirmationRef,
            "language" => Field::Language,
            "age" => Field::Age,
            "dob" => Field::Dob,
            "gender" => Field::Gender,
            "loyaltytier" => Field::LoyaltyTier,
            "customertype" => Field::CustomerType,
            "device" => Field::Device,
            "placement" => Field::Placement,
            "amountformatted" => Field::AmountFormatted,
            _ => return None,
        })
    }

    /// Whether the attribute holds a number (`amount`, `quantity`, `age`)
    /// rather than text.
    pub const fn is_numeric(self) -> bool {
        matches!(self, Field::Amount | Field::Quantity | Field::Age)
    }
}

impl From<crate::bundle::IdentifierKind> for Field {
    fn from(kind: crate::bundle::IdentifierKind) -> Self {
        match kind {
            crate::bundle::IdentifierKind::Email => Field::Email,
            crate::bundle::IdentifierKind::Phone => Field::Phone,
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Field;

    #[test]
    fn from_name_inverts_name() {
        for field in Field::ALL {
            assert_eq!(Field::from_name(field.name()), Some(field));
        }
        assert_eq!(Field::from_name("State"), None);
        assert_eq!(Field::from_name(""), None);
    }
}
