//! The callback body the simulated AzamPay sends: the configured generation, signed with the
//! key in force, its fields written the way [`CallbackShape`] says.

use std::sync::Arc;

use serde_json::{Map, Number, Value, json};

use super::{keyring, wire};
use crate::config::{AmountForm, CallbackSchema, CallbackShape, MsisdnForm};
use crate::handle::SimulatorError;
use crate::state::{State, lock};

/// The callback body for `id` with outcome `success`, per the configuration.
pub(crate) fn callback_body(
    state: &Arc<State>,
    id: &str,
    success: bool,
) -> Result<Vec<u8>, SimulatorError> {
    let config = state.config();
    let a = lock(&state.azampay);
    let t = a
        .txns
        .get(id)
        .ok_or_else(|| SimulatorError::Unknown(id.to_owned()))?;
    let shape = &config.azampay_callback_shape;
    let status = if success {
        "success".to_owned()
    } else {
        config.azampay_failure_word.clone()
    };
    let message = shape.message.as_deref().unwrap_or(if success {
        "Transaction successful"
    } else {
        "Transaction failed: insufficient balance"
    });
    let operator = shape.operator.as_deref().unwrap_or(&t.provider);
    let amount = t.amount.to_compact_string();
    let mno_reference = if success {
        t.mno_reference.as_str()
    } else {
        ""
    };
    let body = match config.azampay_callback_schema {
        CallbackSchema::Legacy => serde_json::to_value(wire::LegacyCallback {
            msisdn: &t.msisdn,
            amount,
            message,
            utilityref: &t.external_id,
            operator,
            reference: &t.id,
            transactionstatus: &status,
            submerchant_acc: None,
            fsp_reference_id: success.then_some(t.mno_reference.as_str()),
            additional_properties: t.additional.as_ref(),
        }),
        CallbackSchema::Current => {
            let signed = format!("{}{}{}{}", t.external_id, t.id, status, operator);
            let signature = if config.azampay_sign_callbacks {
                Some(keyring::sign(a.key_generation, &signed).ok_or(SimulatorError::Signing)?)
            } else {
                None
            };
            serde_json::to_value(wire::CurrentCallback {
                message,
                user: "azampay-simulator",
                password: "simulator-password",
                client_id: "simulator-client",
                transactionstatus: &status,
                operator,
                reference: &t.id,
                externalreference: &t.id,
                utilityref: &t.external_id,
                amount,
                transid: &t.id,
                msisdn: &t.msisdn,
                mnoreference: mno_reference,
                submerchant_acc: None,
                additional_properties: t.additional.as_ref(),
                signature,
            })
        }
    };
    let Ok(Value::Object(mut fields)) = body else {
        return Err(SimulatorError::Encoding);
    };
    shape_fields(
        shape,
        &mut fields,
        &t.amount.to_compact_string(),
        &t.amount.to_decimal_string(),
    );
    serde_json::to_vec(&fields).map_err(|_| SimulatorError::Encoding)
}

/// Rewrites `amount` and `msisdn` and adds undocumented fields, per `shape`.
fn shape_fields(
    shape: &CallbackShape,
    fields: &mut Map<String, Value>,
    whole: &str,
    decimal: &str,
) {
    let number = |text: &str| {
        serde_json::from_str::<Number>(text).map_or_else(|_| json!(text), Value::Number)
    };
    let amount = match shape.amount {
        AmountForm::Text => json!(whole),
        AmountForm::DecimalText => json!(decimal),
        AmountForm::Number => number(whole),
        AmountForm::DecimalNumber => number(decimal),
    };
    fields.insert("amount".into(), amount);
    let msisdn = fields
        .get("msisdn")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match shape.msisdn {
        MsisdnForm::Text => {}
        MsisdnForm::Number => {
            fields.insert("msisdn".into(), number(&msisdn));
        }
        MsisdnForm::Missing => {
            fields.remove("msisdn");
        }
        MsisdnForm::Null => {
            fields.insert("msisdn".into(), Value::Null);
        }
        MsisdnForm::Empty => {
            fields.insert("msisdn".into(), json!(""));
        }
    }
    if shape.extra_fields {
        fields.insert("source".into(), json!("AzamPay gateway"));
        fields.insert("channel".into(), json!(7));
        fields.insert(
            "extra".into(),
            json!({"nested": [1, "two", null], "note": "not in any schema"}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_is_written_as_named() {
        let mut fields = Map::new();
        fields.insert("msisdn".into(), json!("255712345678"));
        let shape = CallbackShape {
            amount: AmountForm::DecimalNumber,
            msisdn: MsisdnForm::Number,
            extra_fields: true,
            ..CallbackShape::default()
        };
        shape_fields(&shape, &mut fields, "2000", "2000.00");
        assert_eq!(fields["amount"], json!(2000.0));
        assert_eq!(fields["msisdn"], json!(255_712_345_678_u64));
        assert!(fields.contains_key("source") && fields.contains_key("extra"));
        for (form, absent) in [(MsisdnForm::Missing, true), (MsisdnForm::Null, false)] {
            let mut fields = Map::new();
            fields.insert("msisdn".into(), json!("255712345678"));
            let shape = CallbackShape {
                msisdn: form,
                ..CallbackShape::default()
            };
            shape_fields(&shape, &mut fields, "2000", "2000.00");
            assert_eq!(fields.get("msisdn").is_none(), absent);
            assert_eq!(fields["amount"], json!("2000"));
        }
    }
}
