"""Translatable texts of verdicts and reasons (gettext msgids)."""

from content.errors import N_

VERDICT_TEXTS = {
    "free": N_("No need to declare."),
    "prescription_required": N_("Allowed with a doctor's prescription."),
    "declare": N_("Declare it at customs."),
    "duty": N_("Customs duty is due above the allowance."),
    "permit_required": N_("A permit is needed."),
    "prohibited": N_("Not allowed."),
}
REASON_TEXTS = {
    "within_limit": N_("Within the allowance of %(limit)s."),
    "above_limit": N_("Above the allowance of %(limit)s."),
    "above_hard_limit": N_("Above the most a traveller may bring for personal use."),
    "combined_cash": N_("All your cash together counts: %(total)s, more than %(limit)s."),
    "under_age": N_("This allowance is only for travellers aged %(min_age)s or over."),
    "age_unknown": N_("This allowance depends on age: give your age to check it."),
    "unknown_substance": N_("We do not know this substance: declare it to be safe."),
    "no_substance": N_("Name the active substance to check a medicine."),
    "no_rule": N_("We have no rule for this: declare it to be safe."),
    "prescription": N_("Keep the prescription with the medicine, in its original packaging."),
    "prescription_missing": N_(
        "Without a prescription it may be seized: get one before you travel."
    ),
    "prohibited_substance": N_("This substance may not be brought across the border."),
    "declare_substance": N_("This substance must be declared."),
    "permit_substance": N_("This substance needs a state permit before you cross the border."),
    "prohibited_category": N_("Prohibited items may not cross the border."),
    "rule_applies": N_("See the rule for what applies."),
}
