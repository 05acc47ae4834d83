//! The PCN workforce census's staff roles mapped to the rulebook's ARRS roles.

/// The ARRS role a PCN workforce census record is in, from its
/// `STAFF_ROLE` and `DETAILED_STAFF_ROLE`, or `None` for roles the scheme
/// does not reimburse (directors, managers, administrative staff, GP
/// locums, general practice assistants, talking-therapy staff and others).
///
/// The census does not say how a post is funded; pcn assumes a post in a
/// reimbursable role is funded through the ARRS.
pub fn census_role(staff_role: &str, detailed_role: &str) -> Option<&'static str> {
    let role = staff_role.trim();
    let detailed = detailed_role.trim();
    if role.contains("(Mental Health Practitioners)")
        || detailed.contains("(Mental Health Practitioner")
    {
        return Some("mental-health-practitioner");
    }
    Some(match role {
        "Pharmacists" => "clinical-pharmacist",
        "Advanced Pharmacist Practitioners"
        | "Advanced Paramedic Practitioners"
        | "Advanced Physiotherapist Practitioners"
        | "Advanced Occupational Therapist Practitioners"
        | "Advanced Dietician Practitioners"
        | "Advanced Podiatrist Practitioners"
        | "Advanced Nurse Practitioners" => "advanced-practitioner",
        "Pharmacy Technicians" => "pharmacy-technician",
        "Social Prescribing Link Workers" => "social-prescribing-link-worker",
        "Care Coordinators" => "care-coordinator",
        "Health and Wellbeing Coaches" => "health-and-wellbeing-coach",
        "Physiotherapists" => "first-contact-physiotherapist",
        "Dieticians" => "dietitian",
        "Podiatrists" => "podiatrist",
        "Paramedics" => "paramedic",
        "Physician Associates" => "physician-associate",
        "Nursing Associates" => "nursing-associate",
        "Trainee Nursing Associates" => "trainee-nursing-associate",
        "Enhanced Practice Nurses" => "enhanced-practice-nurse",
        "Nurse Specialists" | "Other Nurses" => "general-practice-nurse",
        "Healthcare Assistants" | "Healthcare Support Workers" => "healthcare-support-worker",
        "Salaried GPs" => "gp",
        "Therapists" if detailed == "Therapist- Occupational Therapist" => "occupational-therapist",
        "Apprentices" if detailed == "Apprentice - Physician Associate" => {
            "apprentice-physician-associate"
        }
        _ => return None,
    })
}
