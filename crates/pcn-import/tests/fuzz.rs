//! Property tests: no input makes `parse_bytes` or `detect` panic.

mod common;

use common::*;
use pcn_import::{detect, parse_bytes};
use proptest::prelude::*;

const FIXTURE_FILES: [&str; 30] = [
    "gp-reg-pat-prac-map.csv",
    "gp-reg-pat-prac-map-ccg-2021.csv",
    "gp-reg-pat-prac-quin-age.csv.gz",
    "gp-reg-pat-prac-sing-age-female.csv",
    "gp-reg-pat-prac-all.csv",
    "epraccur-fixture.csv",
    "Aug_25/gpad-mapping-fixture.csv",
    "gp-2019-05/nhs-website-gp-fixture.csv",
    "governance.csv",
    "epcncorepartnerdetails.csv",
    "epcn.csv",
    "epcn-fixture.xlsx",
    "nhspaymentsgp-22-23-prac-csv.csv",
    "nhspaymentsgp-21-22-prac-csv.csv",
    "populations.csv",
    "01_May_2024_HSCA_Active_Locations.ods",
    "cqc-2024-05/HSCA_Active_Locations.xlsx",
    "cqc-2024-05/hsca-active-locations.csv",
    "care-home-alignment.csv",
    "iif-indicators-2023-24.csv",
    "iif-points.csv",
    "gpad/Practice_Level_Crosstab_Sep_25/Practice_Level_Crosstab_Sep_25.csv",
    "gpad/regional_tabs_jun2023/Regional_CSV_WYorks.csv",
    "gpad/regional_tabs_jun2019/Regional_CSV_YorkshireAndHumber.csv",
    "gpad/SUB_ICB_LOCATION_CSV_Oct23.csv",
    "gpad/CCG_CSV_Nov20.csv",
    "gpad/pcn_appointments_apr2024.csv",
    "gpad/table1-national-monthly-2019-01-to-2019-02.csv",
    "gpad/GP_APPT_Publication_February_2019.xlsx",
    "gpad/national-monthly-by-booking-interval-2024-01.csv",
];

fn both(name: &str, bytes: &[u8]) {
    let _ = detect(name, bytes);
    if let Err(e) = parse_bytes(name, bytes, &opts(), &mut |_| {}) {
        // Errors always render, and always name the file.
        assert!(e.to_string().contains(name) || e.problems.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        both("x/2025-08/any.csv", &bytes);
    }

    #[test]
    fn arbitrary_text_with_known_headers(
        header in prop::sample::select(vec![
            "PRACTICE_CODE,PCN_CODE,EXTRACT_DATE",
            "ORG_TYPE,ORG_CODE,SEX,AGE_GROUP_5,NUMBER_OF_PATIENTS,EXTRACT_DATE",
            "ORG_CODE,SEX,AGE,NUMBER_OF_PATIENTS,EXTRACT_DATE",
            "GP_CODE,PCN_CODE",
            "OrganisationCode¬OrganisationType¬Latitude¬Longitude",
            "pcn_code,effective_from,clinical_director,nominated_payee",
            "PCN Code,PCN Name,Open Date",
            "Practice Code,PCN Code,Number of Weighted Patients (Last Known Figure),PCN Leadership,PCN Workforce",
            "practice_code,pcn_code,as_at,weighted_population,adjusted_population",
            "Location ID,Care home?,Care homes beds,Dormant (Y/N),Location Latitude,Location Longitude",
            "location_id,pcn_code,aligned_from,aligned_to",
            "ORGANISATION_TYPE,ORGANISATION_CODE,ACH_DATE,IND_CODE,MEASURE,VALUE",
            "pcn_code,financial_year,points,recorded",
            "APPOINTMENT_MONTH_START_DATE,GP_CODE,SUPPLIER,PCN_CODE,SUB_ICB_LOCATION_CODE,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,APPT_STATUS",
            "SUB_ICB_LOCATION_CODE,APPOINTMENT_MONTH,APPT_STATUS,HCP_TYPE,APPT_MODE,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS",
            "CCG_CODE,CCG_NAME,Appointment_Date,APPT_STATUS,HCP_TYPE,APPT_MODE,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS",
            "month,total_appointments,estimated_england_total,status_attended,hcp_gp",
            "period,time_between_book_and_appt,count,total",
        ]),
        body in "[A-Za-z0-9,¬\"\\-+_ \\r\\n]{0,400}",
    ) {
        both("Aug_25/f.csv", format!("{header}\n{body}").as_bytes());
    }

    #[test]
    fn mutated_fixtures(
        which in 0..FIXTURE_FILES.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let name = FIXTURE_FILES[which];
        let mut bytes = fixture(name);
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        both(name, &bytes);
    }
}

#[test]
fn every_truncation_of_small_fixtures() {
    for name in [
        "gp-reg-pat-prac-map.csv",
        "epraccur-fixture.csv",
        "gp-2019-05/nhs-website-gp-fixture.csv",
        "governance.csv",
        "gp-reg-pat-prac-quin-age.csv.gz",
        "populations.csv",
        "care-home-alignment.csv",
        "iif-indicators-2023-24.csv",
        "iif-points.csv",
        "cqc-2024-05/hsca-active-locations.csv",
        "01_May_2024_HSCA_Active_Locations.ods",
        "gpad/CCG_CSV_Nov20.csv",
        "gpad/pcn_appointments_apr2024.csv",
        "gpad/national-monthly-by-booking-interval-2024-01.csv",
    ] {
        let bytes = fixture(name);
        for n in 0..bytes.len() {
            both(name, &bytes[..n]);
        }
    }
}
