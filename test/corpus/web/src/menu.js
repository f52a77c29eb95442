const unused = 1;
function open(menu) {
  if (menu == null) { return undefinedThing; }
  debugger;
  return menu;
}
export { open };
