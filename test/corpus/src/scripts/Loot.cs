public class Loot
{
    public int Roll(Inventory inv)
    {
        string name = inv.Capacity;
        return 4;
    }
}
