//! FSP companies (operators register them, guide §2.2) and network operators (platform
//! admins register them).

use crate::api::organisations::{
    create_company, create_operator, organisations, set_permitted_delivery,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{Company, DeliveryChannel, NewCompanyInput};

/// How a company may receive dispatches (guide §3.1: the operator decides), with a save.
#[component]
fn PermittedDelivery(
    company: Company,
    status: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let api = RwSignal::new(company.permitted_delivery.contains(&DeliveryChannel::Api));
    let email = RwSignal::new(company.permitted_delivery.contains(&DeliveryChannel::Email));
    let id = company.id.to_string();
    let save = move |_| {
        let id = id.clone();
        let channels: Vec<DeliveryChannel> = [
            (api.get_untracked(), DeliveryChannel::Api),
            (email.get_untracked(), DeliveryChannel::Email),
        ]
        .into_iter()
        .filter_map(|(on, c)| on.then_some(c))
        .collect();
        spawn_local(async move {
            let result = set_permitted_delivery(&id, &channels)
                .await
                .map(|()| "Delivery channels saved.".to_owned());
            status.set(Some(result));
        });
    };
    view! {
        <td class="permitted-delivery">
            <label><input type="checkbox" class="permit-api" prop:checked=move || api.get()
                on:change=move |ev| api.set(event_target_checked(&ev))/>" API"</label>" "
            <label><input type="checkbox" class="permit-email" prop:checked=move || email.get()
                on:change=move |ev| email.set(event_target_checked(&ev))/>" E-mail"</label>" "
            <button class="save-delivery" on:click=save>"Save"</button>
        </td>
    }
}

#[component]
pub fn OrganisationsPage() -> impl IntoView {
    let data = LocalResource::new(organisations);
    let status = RwSignal::new(None::<Result<String, String>>);
    let field = || RwSignal::new(String::new());
    let (name, number, vat, address, operator) = (field(), field(), field(), field(), field());
    let register = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let operator = operator.get_untracked();
        let input = NewCompanyInput {
            name: name.get_untracked(),
            companies_house_number: number.get_untracked(),
            vat_number: vat.get_untracked(),
            billing_address: address.get_untracked(),
            operator: Some(operator).filter(|o| !o.trim().is_empty()),
        };
        spawn_local(async move {
            let result = create_company(&input)
                .await
                .map(|()| "Company registered.".to_owned());
            status.set(Some(result));
            data.refetch();
        });
    };
    let operator_name = field();
    let add_operator = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = operator_name.get_untracked();
        spawn_local(async move {
            let result = create_operator(&name)
                .await
                .map(|()| "Operator registered.".to_owned());
            status.set(Some(result));
            data.refetch();
        });
    };
    view! {
        <h1>"Organisations"</h1>
        {move || match status.get() {
            Some(Ok(m)) => Some(view! { <p class="notice">{m}</p> }.into_any()),
            Some(Err(e)) => Some(view! { <p class="error">{e}</p> }.into_any()),
            None => None,
        }}
        <h2>"FSP companies"</h2>
        {move || match data.get() {
            Some(Ok(d)) => view! {
                <table class="grid" id="companies">
                    <thead><tr><th>"Company"</th><th>"Companies House"</th><th>"VAT"</th><th>"Billing address"</th><th>"Dispatches by"</th></tr></thead>
                    <tbody>
                        {d.companies.into_iter().map(|c| view! {
                            <tr>
                                <td>{c.name.clone()}</td><td>{c.companies_house_number.clone()}</td>
                                <td>{c.vat_number.clone().unwrap_or_default()}</td>
                                <td class="address">{c.billing_address.clone()}</td>
                                <PermittedDelivery company=c status=status/>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <h2>"Operators"</h2>
                <ul>{d.operators.into_iter().map(|o| view! { <li>{o.name}</li> }).collect_view()}</ul>
            }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            None => view! { <p>"Loading…"</p> }.into_any(),
        }}
        <section class="card narrow">
            <h2>"Register an FSP company"</h2>
            <form on:submit=register>
                <label>"Company name"<input name="company-name" required on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label>"Company Registration Number (Companies House)"<input name="companies-house" required on:input=move |ev| number.set(event_target_value(&ev))/></label>
                <label>"Company VAT Number"<input name="vat" required on:input=move |ev| vat.set(event_target_value(&ev))/></label>
                <label>"Company Billing Address"<textarea name="billing-address" required rows="3" on:input=move |ev| address.set(event_target_value(&ev))></textarea></label>
                <label>"Operator (platform admins only)"<input name="operator" on:input=move |ev| operator.set(event_target_value(&ev))/></label>
                <button type="submit" class="primary">"Register company"</button>
            </form>
        </section>
        <section class="card narrow">
            <h2>"Register an operator (platform admins)"</h2>
            <form on:submit=add_operator>
                <label>"Operator name"<input name="operator-name" required on:input=move |ev| operator_name.set(event_target_value(&ev))/></label>
                <button type="submit" class="primary">"Register operator"</button>
            </form>
        </section>
    }
}
