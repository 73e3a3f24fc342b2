//! `POST /leads`: the lead form; 303 to the new invoice, or the form again (422) with the
//! messages by the fields.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use wetech_app::{AppError, UseCases, paths};

use super::errors::PageResult;
use super::form::check_csrf;
use super::html::see_other;
use super::index::{LeadForm, render_home};
use crate::csrf::Csrf;
use crate::error::ApiError;
use crate::extract::{Fields, FormFields};
use crate::ratelimit::LeadRateLimit;
use crate::routes::input::LeadRequest;

/// `POST /leads`: CSRF first, then the rate limit, then the fields; 303 to the new invoice.
pub async fn submit_lead(
    req: HttpRequest,
    app: web::Data<UseCases>,
    csrf: web::Data<Csrf>,
    limit: web::Data<LeadRateLimit>,
    body: Result<FormFields, ApiError>,
) -> PageResult {
    let FormFields(mut map) = body?;
    check_csrf(&csrf, &req, &mut map)?;
    limit.check(&req).await?;
    let form = LeadForm::typed(&map);
    let mut fields = Fields::new(map);
    let lead = LeadRequest::read(&mut fields);
    let refused = match fields.finish().and_then(|()| Fields::all(lead)) {
        Ok(lead) => match app
            .submit_lead(lead.into_lead(crate::language::of(&req)), None)
            .await
        {
            Ok(outcome) => {
                return Ok(see_other(&paths::invoice_page(
                    &outcome.receipt().invoice.id,
                )));
            }
            Err(AppError::Validation(fields)) => fields,
            Err(e) => return Err(e.into()),
        },
        Err(ApiError::Validation { fields, .. }) => fields,
        Err(e) => return Err(e.into()),
    };
    let services = app.list_services().await?;
    render_home(
        &req,
        &csrf,
        services,
        &form,
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}
