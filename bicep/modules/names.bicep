// Checks of the names the deployment is built from, imported at compile time by the templates that build names.

@export()
@description('namePrefix as it goes into Key Vault, storage account and registry names, which allow different characters: only lowercase letters and digits, starting with a letter, pass all three. Anything else fails the deployment before a resource is created, with this message.')
func checkedNamePrefix(namePrefix string) string =>
  empty(filter(
      range(0, length(namePrefix)),
      i =>
        !contains(
          i == 0 ? 'abcdefghijklmnopqrstuvwxyz' : 'abcdefghijklmnopqrstuvwxyz0123456789',
          substring(namePrefix, i, 1)
        )
    ))
    ? namePrefix
    : fail('namePrefix \'${namePrefix}\' must be lowercase letters and digits and start with a letter: it is part of the Key Vault, storage account and container registry names.')
