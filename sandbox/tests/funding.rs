//! ACH relationships and transfers over real HTTP.

mod common;
mod rest;

use reqwest::StatusCode;
use rest::{assert_conflict, assert_denied, model_state_keys, T};
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// A valid ABA routing number (checksum 0).
const ROUTING: &str = "021000021";

fn cash_of(v: &Value) -> Decimal {
    v["cash"].to_string().parse().unwrap()
}

async fn cash(t: &T, account: i32) -> Decimal {
    let (status, b) = t.get(&format!("/v1.0/accounts/{account}/info")).await;
    assert_eq!(status, StatusCode::OK);
    cash_of(&b)
}

/// Creates and approves a micro-deposit link; returns its id.
async fn approved_link(t: &T, account: i32, number: &str) -> String {
    let base = format!("/v1.0/accounts/{account}/ach-relationships");
    let (status, link) = t
        .post(
            &base,
            json!({"RoutingNumber": ROUTING, "AccountNumber": number, "AccountOwnerName": "Tess Trader",
                   "Name": "Checking", "BankAccountType": "Checking"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let id = link["Id"].as_str().unwrap().to_string();
    let amounts = t.ctx.sb.micro_deposits(&id).unwrap();
    let (status, link) = t
        .post(
            &format!("{base}/{id}/approve"),
            json!({"Amount1": amounts[1].to_string().parse::<f64>().unwrap(),
                   "Amount2": amounts[0].to_string().parse::<f64>().unwrap()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(link["Status"], "Approved");
    id
}

#[tokio::test]
async fn ach_relationship_lifecycle() {
    let t = T::new().await;
    let account = t.cash_account;
    let base = format!("/v1.0/accounts/{account}/ach-relationships");
    let (status, body) = t.get(&format!("{base}/default")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, link) = t
        .post(
            &base,
            json!({"RoutingNumber": ROUTING, "AccountNumber": "123456789", "AccountOwnerName": "Tess Trader"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(link["Status"], "PendingApproval");
    assert_eq!(link["ApprovalMethod"], "MicroDeposit");
    assert_eq!(link["DisplayAccountNumber"], "****6789");
    assert_eq!(link["Default"], false);
    assert_eq!(link["CancelDate"], "0001-01-01T00:00:00.000Z");
    let id = link["Id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok());

    // Wrong amounts twice (409), then the right ones: approved and the default.
    for _ in 0..2 {
        let (status, body) = t
            .post(
                &format!("{base}/{id}/approve"),
                json!({"Amount1": 0.5, "Amount2": 0.5}),
            )
            .await;
        if status == StatusCode::OK {
            panic!("0.5 twice should not match: {body}");
        }
        assert_conflict(status, &body, "do not match");
    }
    let amounts = t.ctx.sb.micro_deposits(&id).unwrap();
    let as_f64 = |d: Decimal| d.to_string().parse::<f64>().unwrap();
    let (status, link) = t
        .post(
            &format!("{base}/{id}/approve"),
            json!({"Amount1": as_f64(amounts[0]), "Amount2": as_f64(amounts[1])}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(
        (link["Status"].clone(), link["Default"].clone()),
        (json!("Approved"), json!(true))
    );
    let (status, again) = t
        .post(
            &format!("{base}/{id}/approve"),
            json!({"Amount1": 0.1, "Amount2": 0.2}),
        )
        .await;
    assert_conflict(status, &again, "not waiting");

    let (status, renamed) = t
        .put(&format!("{base}/{id}"), Some(json!({"Name": "Main bank"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(renamed["Name"], "Main bank");
    let (status, default) = t.get(&format!("{base}/default")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(default["Id"], id.as_str());

    // Plaid: approved at once; make it the default (204).
    let (status, plaid) = t
        .post(
            &format!("{base}/plaid"),
            json!({"Accounts": ["plaid-acc-1"], "BankName": "Plaid Bank", "PublicToken": "public-sandbox-abc"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{plaid}");
    let plaid_id = plaid[0]["Id"].as_str().unwrap().to_string();
    assert_eq!(plaid[0]["Status"], "Approved");
    assert_eq!(plaid[0]["ExternalId"], "plaid-acc-1");
    let (status, body) = t
        .post(&format!("{base}/{plaid_id}/default"), json!(null))
        .await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, old) = t.get(&format!("{base}/{id}")).await;
    assert_eq!(
        (status, old["Default"].clone()),
        (StatusCode::OK, json!(false))
    );

    // The list: paging, sort names sortBy/isDesc, status filter.
    let (status, page) = t
        .get(&format!(
            "{base}?pageSize=1&pageNumber=0&sortBy=Name&isDesc=false"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["TotalCount"], 2);
    assert_eq!(page["Result"][0]["Name"], "Main bank");
    assert!(page["NextPageLink"]
        .as_str()
        .unwrap()
        .ends_with("pageNumber=1"));
    let (status, body) = t
        .get(&format!(
            "{base}?pageSize=10&pageNumber=0&sortBy=Name&isDesc=false&status=Bogus"
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Close with a reason; closing again is 409; the list filtered by status shows it.
    let (status, closed) = t
        .delete(&format!("{base}/{id}?reason=moving%20banks"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(closed["Status"], "Canceled");
    assert_eq!(closed["CancelReason"], "moving banks");
    let (status, body) = t.delete(&format!("{base}/{id}?reason=again"), None).await;
    assert_conflict(status, &body, "already closed");
    let (status, page) = t
        .get(&format!(
            "{base}?pageSize=10&pageNumber=0&sortBy=Name&isDesc=false&status=Canceled"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["TotalCount"], 1);
    assert_eq!(page["Result"][0]["Id"], id.as_str());
}

#[tokio::test]
async fn ach_relationship_failures() {
    let t = T::new().await;
    let base = format!("/v1.0/accounts/{}/ach-relationships", t.cash_account);
    let (status, body) = t
        .post(
            &base,
            json!({"RoutingNumber": "123456789", "AccountNumber": "12", "BankAccountType": "Gold"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        model_state_keys(&body),
        [
            "model.AccountNumber",
            "model.AccountOwnerName",
            "model.BankAccountType",
            "model.RoutingNumber"
        ]
    );
    let ok =
        json!({"RoutingNumber": ROUTING, "AccountNumber": "55554444", "AccountOwnerName": "Tess"});
    let (status, link) = t.post(&base, ok.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = t.post(&base, ok).await;
    assert_conflict(status, &body, "already exists");
    let id = link["Id"].as_str().unwrap();
    let (status, body) = t.post(&format!("{base}/{id}/default"), json!(null)).await;
    assert_conflict(status, &body, "approved");
    let (status, body) = t.delete(&format!("{base}/{id}?reason=%20"), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["reason"]);
    let (status, _) = t.delete(&format!("{base}/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "reason is required");
    let (status, body) = t
        .post(
            &format!("{base}/plaid"),
            json!({"Accounts": ["x"], "PublicToken": "token"}),
        )
        .await;
    assert_conflict(status, &body, "Plaid public token");
    // Three wrong confirmations put the link in Error.
    for _ in 0..3 {
        t.post(
            &format!("{base}/{id}/approve"),
            json!({"Amount1": 0.991, "Amount2": 0.992}),
        )
        .await;
    }
    let (_, link) = t.get(&format!("{base}/{id}")).await;
    assert_eq!(link["Status"], "Error");
    let unknown = "6b1c8f0e-2b7f-4a43-9d0e-0c1a2b3c4d5e";
    let (status, body) = t.get(&format!("{base}/{unknown}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["id"]);
    let (status, body) = t
        .put(&format!("{base}/{unknown}"), Some(json!({"Name": "x"})))
        .await;
    assert_conflict(status, &body, "not found");
    let (status, body) = t.get(&format!("{base}/not-a-guid")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let other = t.ctx.sb.account_ids("other")[0];
    let (status, body) = t
        .get(&format!("/v1.0/accounts/{other}/ach-relationships/default"))
        .await;
    assert_denied(status, &body);
}

#[tokio::test]
async fn transfers_move_cash_and_cancel() {
    let t = T::new().await;
    let account = t.cash_account;
    let link = approved_link(&t, account, "99887766").await;
    let base = format!("/v1.0/accounts/{account}/transfers");
    let start = cash(&t, account).await;

    // Regular ACH deposit: complete, cash up.
    let (status, dep) = t
        .post(
            &format!("{base}/ach"),
            json!({"AchRelationshipId": link, "IsIncoming": true, "Amount": 1500.25}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{dep}");
    assert_eq!(
        (
            dep["Mechanism"].clone(),
            dep["Status"].clone(),
            dep["IsDeposit"].clone()
        ),
        (json!("ACH"), json!("Complete"), json!(true))
    );
    assert_eq!(cash(&t, account).await, start + Decimal::new(150025, 2));

    // Wire withdrawal with its fee, check by overnight mail, Zelle.
    let (status, wire) = t
        .post(
            &format!("{base}/wire"),
            json!({"IsDomesticWire": true, "BankName": "Big Bank", "RoutingNumber": ROUTING,
              "Name": "Tess Trader", "AccountNumber": "11112222", "Amount": 1000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{wire}");
    assert_eq!(wire["TotalAmount"], json!(1025.0));
    let (status, fees) = t
        .get(&format!("{base}/{}/fees", wire["Id"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        fees,
        json!([{"Type": "WireDomestic", "CustomerDebitAmount": 25.0, "FirmCreditAmount": 25.0, "CorrespondentNetAmount": 0.0}])
    );
    let (status, check) = t
        .post(
            &format!("{base}/check"),
            json!({"DeliveryMethod": "OVERNIGHT", "Memos": ["rent"], "Amount": 100}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["TotalAmount"], json!(115.0));
    let (status, zelle) = t
        .post(
            &format!("{base}/zelle"),
            json!({"Name": "Pat", "Email": "pat@example.test", "Amount": 50}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{zelle}");
    let expected = start + Decimal::new(150025, 2) - Decimal::from(1025 + 115 + 50);
    assert_eq!(cash(&t, account).await, expected);

    // Scheduled: submitted, no cash moved, cancellable once (204), then 409.
    let (status, sched) = t
        .post(&format!("{base}/ach"), json!({"AchRelationshipId": link, "IsIncoming": false, "Amount": 10, "ExecTimeType": "Scheduled"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sched["Status"], "Submitted");
    assert_eq!(cash(&t, account).await, expected);
    let sched_path = format!("{base}/{}", sched["Id"].as_str().unwrap());
    let (status, body) = t
        .delete(&format!("{sched_path}?comment=changed%20my%20mind"), None)
        .await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, body) = t.delete(&format!("{sched_path}?comment=again"), None).await;
    assert_conflict(status, &body, "Canceled");
    let (status, body) = t
        .delete(
            &format!("{base}/{}?comment=x", dep["Id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_conflict(status, &body, "Complete");

    // The list, newest first, sortBy/isDesc.
    let (status, page) = t
        .get(&format!(
            "{base}?pageSize=2&pageNumber=0&sortBy=&isDesc=false"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["TotalCount"], 5);
    assert_eq!(page["Result"][0]["Id"], sched["Id"]);
    assert_eq!(page["Result"][0]["Status"], "Canceled");
    let (status, page) = t
        .get(&format!(
            "{base}?pageSize=10&pageNumber=0&sortBy=Amount&isDesc=true"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["Result"][0]["Amount"], json!(1500.25));
    let (status, _) = t
        .get(&format!(
            "{base}?pageSize=100&pageNumber=0&sortBy=Id&isDesc=true"
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "pageSize max 99");

    // CloseAccount withdraws everything.
    let (status, all) = t
        .post(&format!("{base}/check"), json!({"CloseAccount": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(cash(&t, account).await, Decimal::ZERO);
}

#[tokio::test]
async fn transfer_failures() {
    let t = T::new().await;
    let account = t.cash_account;
    let base = format!("/v1.0/accounts/{account}/transfers");
    let (status, body) = t
        .post(&format!("{base}/ach"), json!({"IsIncoming": true}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        model_state_keys(&body),
        ["model.AchRelationshipId", "model.Amount"]
    );
    let (status, body) = t
        .post(
            &format!("{base}/check"),
            json!({"Amount": 5, "CloseAccount": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["model.Amount"]);
    let (status, body) = t
        .post(
            &format!("{base}/check"),
            json!({"Amount": 5, "DeliveryMethod": "PIGEON"}),
        )
        .await;
    assert_eq!(model_state_keys(&body), ["model.DeliveryMethod"]);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = t
        .post(&format!("{base}/check"), json!({"Amount": "lots"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["model.Amount"]);
    let (status, body) = t
        .post(&format!("{base}/wire"), json!({"IsDomesticWire": false, "BankName": "B", "RoutingNumber": ROUTING, "Name": "N", "AccountNumber": "1", "Amount": 1}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["model.RoutingNumber"]);
    let (status, body) = t
        .post(
            &format!("{base}/zelle"),
            json!({"Name": "Pat", "Amount": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["model.Email"]);
    // Business conflicts.
    let (status, body) = t
        .post(&format!("{base}/check"), json!({"Amount": 100000000}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = t
        .post(&format!("{base}/check"), json!({"Amount": 9999999}))
        .await;
    assert_conflict(status, &body, "Insufficient funds");
    let (status, body) = t
        .post(
            &format!("{base}/zelle"),
            json!({"Name": "Pat", "Mobile": "+1 555 123 4567", "Amount": 6000}),
        )
        .await;
    assert_conflict(status, &body, "Zelle");
    let (status, body) = t
        .post(&format!("{base}/ach"), json!({"AchRelationshipId": "6b1c8f0e-2b7f-4a43-9d0e-0c1a2b3c4d5e", "IsIncoming": true, "Amount": 1}))
        .await;
    assert_conflict(status, &body, "not found");
    let link = approved_link(&t, account, "44445555").await;
    let (status, body) = t
        .post(
            &format!("{base}/ach"),
            json!({"AchRelationshipId": link, "IsIncoming": true, "Amount": 1,
              "IraContribution": {"Type": "Regular", "ContributionYear": 2026}}),
        )
        .await;
    assert_conflict(status, &body, "retirement");
    let (status, body) = t
        .delete(
            &format!("{base}/6b1c8f0e-2b7f-4a43-9d0e-0c1a2b3c4d5e?comment=x"),
            None,
        )
        .await;
    assert_conflict(status, &body, "not found");
    let (status, body) = t
        .get(&format!("{base}/6b1c8f0e-2b7f-4a43-9d0e-0c1a2b3c4d5e/fees"))
        .await;
    assert_conflict(status, &body, "not found");
    // IRA constraints of a non-retirement account.
    let (status, ira) = t.get(&format!("{base}/ira_constraints/Wire/false")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ira["IsRetirementAccount"], false);
    assert_eq!(
        ira["DistributionConstraints"]["ClosingFee"]["CustomerDebitAmount"],
        json!(25.0)
    );
    let (status, body) = t.get(&format!("{base}/ira_constraints/Check/true")).await;
    assert_conflict(status, &body, "deposits");
    let (status, _) = t.get(&format!("{base}/ira_constraints/Pigeon/true")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t.get(&format!("{base}?pageSize=10")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other = t.ctx.sb.account_ids("other")[0];
    let (status, body) = t
        .post(
            &format!("/v1.0/accounts/{other}/transfers/check"),
            json!({"Amount": 1}),
        )
        .await;
    assert_denied(status, &body);
}
