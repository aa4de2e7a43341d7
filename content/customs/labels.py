"""Translatable texts of verdicts, reasons and rule fields (gettext msgids)."""

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
    "kind_unknown": N_(
        "Cigars and cigarillos have a smaller allowance: say what kind of tobacco it is."
    ),
    "residency_unknown": N_(
        "Travellers who do not live in this country may take out no more than %(limit)s. "
        "Say which country you live in to check it."
    ),
}

# what editors see in the console for each stored value
CATEGORY_LABELS = {
    "cash": N_("Cash"),
    "alcohol": N_("Alcohol"),
    "tobacco": N_("Tobacco"),
    "goods": N_("Goods for personal use"),
    "medicines": N_("Medicines"),
    "prohibited": N_("Prohibited items"),
    "plants_animals": N_("Plants and animals"),
    "cultural_goods": N_("Cultural valuables"),
    "vehicles": N_("Vehicles"),
    "weapons": N_("Weapons and ammunition"),
    "narcotics": N_("Narcotic drugs"),
    "other": N_("Other"),
}
ABOVE_LIMIT_LABELS = {
    "declare": N_("Declare"),
    "duty": N_("Pay duty"),
    "permit": N_("Permit needed"),
    "prohibited": N_("Prohibited"),
}
DIRECTION_LABELS = {
    "entry": N_("Entry"),
    "exit": N_("Exit"),
    "both": N_("Entry and exit"),
}
MODE_LABELS = {
    "all": N_("Any transport"),
    "air": N_("By air"),
    "road": N_("By road"),
    "rail": N_("By rail"),
    "sea": N_("By sea"),
}
SCOPE_LABELS = {
    "eaeu": N_("EAEU (common to the union)"),
    "national": N_("National"),
}
DATE_PRECISION_LABELS = {
    "day": N_("The exact day"),
    "month": N_("Only the month is known"),
    "year": N_("Only the year is known"),
    "unknown": N_("Not known: a placeholder date"),
}
PER_LABELS = {
    "person": N_("Per person"),
    "trip": N_("Per trip"),
}
UNIT_LABELS = {
    "l": N_("litres"),
    "ml": N_("millilitres"),
    "kg": N_("kilograms"),
    "g": N_("grams"),
    "pieces": N_("pieces"),
    "packs": N_("packs"),
    "cartons": N_("cartons"),
}
SUBSTANCE_ACTION_LABELS = {
    "prescription": N_("With a prescription"),
    "declare": N_("Declare"),
    "permit": N_("Permit needed"),
    "prohibited": N_("Prohibited"),
}
