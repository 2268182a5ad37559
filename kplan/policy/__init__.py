"""Policy rules: what a platform team requires of every stack (docs/policy.md). Pure: `model` holds the rules,
`check.check_policy(stack)` finds the violations; reading policy files is the stack loader's
(`kplan.stackfile.policy`)."""
