//! Text that people read, checked where every use case takes it (issue 9): names refuse bidi
//! controls, control characters (NUL, CR/LF) and invisible-only values; long texts keep their
//! line breaks but refuse NUL and bidi controls; each refusal is a 400 naming the field. And
//! credit codes out of the actor's scope answer exactly like unknown ones.

use lianshi_app::council::CouncilInput;
use lianshi_app::order::OrderInput;
use lianshi_app::score::ConsentInput;
use lianshi_app::team::TeamInput;
use lianshi_app::user::UserInput;
use lianshi_app::voucher::{ProviderInput, SchemeInput};
use lianshi_app::zone::RegistryInput;
use lianshi_app::{App, AppError};
use lianshi_domain::zone::RegistryKind;
use lianshi_store::{Db, both_backends};

mod common;
use common::{PW, admin, demo, signed_in, usccs};

/// A right-to-left override, zero-width characters only, NUL, and CR/LF.
const BAD_NAMES: [&str; 4] = [
    "示例\u{202E}exe.txt",
    "\u{200B}\u{200D}\u{FEFF}",
    "示例\0名称",
    "示例\r\n名称",
];

#[track_caller]
fn refused_naming<T: std::fmt::Debug>(r: Result<T, AppError>, field: &str, value: &str) {
    match r {
        Err(AppError::Invalid(errs)) => {
            assert_eq!(errs.len(), 1, "{value:?}: {errs:?}");
            assert_eq!(errs[0].field, field, "{value:?}");
            assert!(
                errs[0].reason.code.starts_with("text_"),
                "{value:?}: {errs:?}"
            );
        }
        other => panic!("{field} = {value:?}: expected a 400 naming the field, got {other:?}"),
    }
}

async fn every_name_field_refuses(app: &App, value: &str) {
    let a = admin();
    let u = usccs(app, 2).await;
    refused_naming(
        app.registry_create(
            &a,
            RegistryKind::Street,
            &RegistryInput {
                code: Some("bad-street".into()),
                name: value.into(),
                ..Default::default()
            },
        )
        .await,
        "name",
        value,
    );
    refused_naming(
        app.user_create(
            &a,
            &UserInput {
                username: "textuser".into(),
                display_name: Some(value.into()),
                role: "team".into(),
                password: PW.into(),
                ..Default::default()
            },
        )
        .await,
        "display_name",
        value,
    );
    refused_naming(
        app.team_create(
            &a,
            &TeamInput {
                name: Some(value.into()),
                ..Default::default()
            },
        )
        .await,
        "name",
        value,
    );
    refused_naming(
        app.voucher_scheme_create(
            &a,
            &SchemeInput {
                code: "bad-scheme".into(),
                kind: "compute".into(),
                name: value.into(),
                ..Default::default()
            },
        )
        .await,
        "name",
        value,
    );
    refused_naming(
        app.voucher_provider_register(
            &a,
            &ProviderInput {
                name: value.into(),
                uscc: u[1].clone(),
                kinds: vec!["compute".into()],
                ..Default::default()
            },
        )
        .await,
        "name",
        value,
    );
    let council = app.council_list(&a, None, None, false).await.unwrap()[0].id;
    refused_naming(
        app.council_update(
            &a,
            council,
            &CouncilInput {
                title: Some(value.into()),
                ..Default::default()
            },
        )
        .await,
        "title",
        value,
    );
    refused_naming(
        app.order_create(
            &a,
            &OrderInput {
                enterprise: Some(u[0].clone()),
                title: Some(value.into()),
                ..Default::default()
            },
        )
        .await,
        "title",
        value,
    );
}

both_backends!(
    a_right_to_left_override_an_invisible_only_name_nul_and_cr_lf_are_refused_naming_the_field,
    |db: Db| async move {
        let app = demo(db, 6).await;
        for value in BAD_NAMES {
            every_name_field_refuses(&app, value).await;
        }
    }
);

both_backends!(
    an_order_description_keeps_its_line_breaks_but_refuses_nul_and_bidi_controls,
    |db: Db| async move {
        let app = demo(db, 6).await;
        let u = usccs(&app, 1).await;
        let order = |description: &str| OrderInput {
            enterprise: Some(u[0].clone()),
            title: Some("核心算法专利遭仿冒".into()),
            description: Some(description.into()),
            category: Some("ip".into()),
            channel: Some("hotline".into()),
            ..Default::default()
        };
        for bad in ["第一行\0第二行", "说明\u{202E}txt.exe"] {
            refused_naming(
                app.order_create(&admin(), &order(bad)).await,
                "description",
                bad,
            );
        }
        let ok = app
            .order_create(&admin(), &order("第一行\r\n第二行\n\t第三行"))
            .await
            .unwrap();
        assert_eq!(ok.order.description, "第一行\r\n第二行\n\t第三行");
    }
);

both_backends!(
    a_bank_asking_for_the_score_of_an_enterprise_that_did_not_consent_gets_the_404_of_an_unknown_code,
    |db: Db| async move {
        let app = demo(db, 6).await;
        let u = usccs(&app, 2).await;
        let owner = signed_in(&app, "owner0", "enterprise", Some(u[0].clone()), None).await;
        app.score_consent_set(
            &owner,
            &ConsentInput {
                enterprise: None,
                institution: "hzbank_tech".into(),
                granted: false,
            },
        )
        .await
        .unwrap();
        let bank = signed_in(&app, "bank0", "finance", None, Some("hzbank_tech")).await;
        let unknown_code = "91330108MA2XXXXX0X";
        let shape = |r: Result<lianshi_app::score::ScoreDetail, AppError>, code: &str| match r {
            Err(AppError::NotFound(m)) => m.replace(code, "<code>"),
            other => panic!("expected 404, got {other:?}"),
        };
        let unknown = shape(app.score_detail(&bank, unknown_code).await, unknown_code);
        assert_eq!(shape(app.score_detail(&bank, &u[0]).await, &u[0]), unknown);
        // An enterprise user naming another enterprise: the same.
        let unknown = shape(app.score_detail(&owner, unknown_code).await, unknown_code);
        assert_eq!(shape(app.score_detail(&owner, &u[1]).await, &u[1]), unknown);
        // Roles that read no score are refused whatever the code.
        let team = signed_in(&app, "team0", "team", None, None).await;
        assert!(matches!(
            app.score_detail(&team, unknown_code).await,
            Err(AppError::Forbidden)
        ));
    }
);
