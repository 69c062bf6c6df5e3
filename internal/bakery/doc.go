// Package bakery keeps the bakery department's counting sheets, which the
// first version of the product held only in a browser tab: a catalogue of
// items per sheet kind (tray-up and ready-to-use pull), each with an upper
// limit and an order, and one sheet per kind per day that several phones
// count at once.
//
// Which department is the bakery: a store-level setting (the bakery_config
// row, PUT /bakery/settings, admins only). Until an admin sets it, the
// department named "Bakery" (any case) is the bakery. A flag on departments
// was the other choice; one setting keeps "exactly one bakery" true by
// construction and leaves the departments table alone.
//
// Who: admins, and the members and managers of the bakery department, read
// and count sheets, finalize and reset them; managers of the bakery (and
// admins) edit the catalogue. Kiosk devices do not count.
//
// Counting converges: a count is one SQL statement that adds the delta only
// when the result stays within 0..limit, run while the sheet row is locked
// (so a finalize cannot slip between the status check and the count), and
// every change emits bakery.count with the resulting count and the count's
// version. Events of one item are in commit order, so every device that
// applies them by seq ends with the same totals.
package bakery
